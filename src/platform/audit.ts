import type { Conn, Statement } from './db';
import { channelOf, type RequestContext } from './context';

export interface AuditEntry {
  action: string;
  entityType: string;
  /** The public identifier: resident id, applicationNo, cardNo, batchId … */
  entityId: string;
  /** Snapshots with personal data already masked by the caller. */
  before?: unknown;
  after?: unknown;
}

/**
 * Writes audit events inside the caller's transaction, so a change and its record commit or roll back
 * together.
 */
export async function recordAudit(
  conn: Conn,
  ctx: RequestContext,
  entries: AuditEntry | AuditEntry[],
  at: Date = new Date(),
): Promise<void> {
  const list = Array.isArray(entries) ? entries : [entries];
  for (let i = 0; i < list.length; i += 500) await auditStatement(conn, ctx, list.slice(i, i + 500), at);
}

/** The insert of audit events, not yet run: for a caller sending its transaction's writes together. */
export function auditStatement(
  conn: Conn,
  ctx: RequestContext,
  entries: AuditEntry | AuditEntry[],
  at: Date,
): Statement | undefined {
  const list = Array.isArray(entries) ? entries : [entries];
  if (list.length === 0) return undefined;
  const actor = ctx.actor;
  const rows = list.map((e) => ({
    at,
    action: e.action,
    entity_type: e.entityType,
    entity_id: e.entityId,
    actor_operator_id: actor.kind === 'system' ? null : actor.id,
    actor_role: actor.kind === 'operator' ? actor.role : actor.kind === 'partner' ? 'partner' : null,
    actor_centre: actor.kind === 'operator' ? actor.centre : null,
    actor_team: actor.kind === 'operator' ? actor.team : null,
    channel: channelOf(actor),
    before_json: e.before === undefined ? null : JSON.stringify(e.before),
    after_json: e.after === undefined ? null : JSON.stringify(e.after),
    request_id: ctx.requestId,
  }));
  return conn('audit_events').insert(rows);
}
