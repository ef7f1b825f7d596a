import { findOne, type Conn } from '../../platform/db';
import type { PartnerActor } from '../../platform/context';

interface PartnerRow {
  id: number | string;
  public_id: string;
  name: string;
  department: string;
  scopes: string;
  status: 'active' | 'revoked';
}

export interface PartnerRecord {
  dbId: number;
  id: string;
  name: string;
  department: string;
  scopes: string[];
  status: 'active' | 'revoked';
}

const fromRow = (r: PartnerRow): PartnerRecord => ({
  dbId: Number(r.id),
  id: r.public_id,
  name: r.name,
  department: r.department,
  scopes: r.scopes.split(',').filter(Boolean),
  status: r.status,
});

export async function insertPartner(
  conn: Conn,
  p: { publicId: string; name: string; department: string; scopes: string[]; keyHash: Buffer; at: Date },
): Promise<void> {
  await conn('partners').insert({
    public_id: p.publicId,
    name: p.name,
    department: p.department,
    scopes: p.scopes.join(','),
    key_hash: p.keyHash,
    status: 'active',
    created_at: p.at,
  });
}

export async function findPartner(
  conn: Conn,
  publicId: string,
  opts: { forUpdate?: boolean } = {},
): Promise<PartnerRecord | undefined> {
  return findOne(conn('partners').where('public_id', publicId).select(), fromRow, opts);
}

export async function activePartnerByKeyHash(conn: Conn, keyHash: Buffer): Promise<PartnerActor | undefined> {
  const row = (await conn('partners').where({ key_hash: keyHash, status: 'active' }).first()) as
    PartnerRow | undefined;
  if (!row) return undefined;
  const p = fromRow(row);
  return { kind: 'partner', id: p.id, name: p.name, department: p.department, scopes: p.scopes };
}

export async function revokePartner(conn: Conn, dbId: number, at: Date): Promise<void> {
  await conn('partners').where('id', dbId).update({ status: 'revoked', revoked_at: at });
}

export async function replaceKey(conn: Conn, dbId: number, keyHash: Buffer): Promise<void> {
  await conn('partners').where('id', dbId).update({ key_hash: keyHash });
}

export async function insertAccessLog(
  conn: Conn,
  e: {
    partnerPublicId: string;
    endpoint: string;
    cardNo: string | null;
    status: number;
    requestId: string | null;
    at: Date;
  },
): Promise<void> {
  await conn('access_logs').insert({
    at: e.at,
    partner_id: conn('partners').where('public_id', e.partnerPublicId).select('id'),
    endpoint: e.endpoint,
    card_no: e.cardNo,
    status: e.status,
    request_id: e.requestId,
  });
}

export interface AccessLogRow {
  id: number | string;
  at: Date;
  partner_public_id: string;
  name: string;
  department: string;
  endpoint: string;
  card_no: string | null;
  status: number;
  request_id: string | null;
}

export async function listAccessLogs(
  conn: Conn,
  f: { partnerId?: string; cardNo?: string; from?: Date; to?: Date; afterId?: number; limit: number },
): Promise<AccessLogRow[]> {
  const q = conn('access_logs as l')
    .join('partners as p', 'p.id', 'l.partner_id')
    .orderBy('l.id')
    .limit(f.limit)
    .select(
      'l.id',
      'l.at',
      'p.public_id as partner_public_id',
      'p.name',
      'p.department',
      'l.endpoint',
      'l.card_no',
      'l.status',
      'l.request_id',
    );
  if (f.partnerId) q.where('p.public_id', f.partnerId);
  if (f.cardNo) q.where('l.card_no', f.cardNo);
  if (f.from) q.where('l.at', '>=', f.from);
  if (f.to) q.where('l.at', '<', f.to);
  if (f.afterId) q.where('l.id', '>', f.afterId);
  return (await q) as AccessLogRow[];
}
