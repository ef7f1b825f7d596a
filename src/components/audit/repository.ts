import type { Conn } from '../../platform/db';

export interface AuditFilter {
  entityType?: string;
  entityId?: string;
  from?: Date;
  to?: Date;
  afterId?: number;
  limit: number;
}

export interface AuditRow {
  id: number | string;
  at: Date;
  action: string;
  entity_type: string;
  entity_id: string;
  actor_operator_id: string | null;
  actor_role: string | null;
  actor_centre: string | null;
  actor_team: string | null;
  channel: string;
  before_json: string | null;
  after_json: string | null;
  request_id: string | null;
}

export async function listEvents(conn: Conn, f: AuditFilter): Promise<AuditRow[]> {
  const q = conn('audit_events').orderBy('id', 'asc').limit(f.limit);
  if (f.entityType) q.where('entity_type', f.entityType);
  if (f.entityId) q.where('entity_id', f.entityId);
  if (f.from) q.where('at', '>=', f.from);
  if (f.to) q.where('at', '<', f.to);
  if (f.afterId) q.where('id', '>', f.afterId);
  return (await q) as AuditRow[];
}
