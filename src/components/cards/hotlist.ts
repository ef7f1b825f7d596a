import type { Conn, Trx } from '../../platform/db';

/**
 * Appends to the hotlist that offline terminals page through. The counter row's lock is held until
 * the caller's transaction commits, so sequence numbers are handed out in commit order.
 */
export async function appendHotlist(
  trx: Trx,
  entry: { cardDbId: number; cardNo: string; usable: boolean; reason: string; at: Date },
): Promise<number> {
  // one statement takes the counter's lock and the next number: LAST_INSERT_ID(expr) hands it back in
  // the statement's result, on MySQL and MariaDB alike
  const [result] = (await trx.raw(
    'UPDATE hotlist_counter SET last_seq = LAST_INSERT_ID(last_seq + 1) WHERE id = 1',
  )) as [{ insertId: number | string }];
  const seq = Number(result.insertId);
  await trx('hotlist').insert({
    seq,
    card_id: entry.cardDbId,
    card_no: entry.cardNo,
    usable: entry.usable,
    reason: entry.reason,
    at: entry.at,
  });
  return seq;
}

export interface HotlistEntry {
  seq: string;
  cardNo: string;
  usable: boolean;
  at: Date;
}

const MAX_SEQ = 18446744073709551615n;

/** Entries after a cursor. The cursor is a string of digits end to end: no float ever rounds it. */
export async function hotlistAfter(conn: Conn, afterSeq: string, limit: number): Promise<HotlistEntry[]> {
  if (BigInt(afterSeq) >= MAX_SEQ) return [];
  const rows = (await conn('hotlist')
    .whereRaw('seq > CAST(? AS UNSIGNED)', [afterSeq])
    .orderBy('seq')
    .limit(limit)
    .select('seq', 'card_no', 'usable', 'at')) as Array<{
    seq: number | string;
    card_no: string;
    usable: number;
    at: Date;
  }>;
  return rows.map((r) => ({ seq: String(r.seq), cardNo: r.card_no, usable: r.usable === 1, at: r.at }));
}

export async function hotlistOfCard(
  conn: Conn,
  cardDbId: number,
): Promise<Array<{ usable: boolean; reason: string }>> {
  const rows = (await conn('hotlist')
    .where('card_id', cardDbId)
    .orderBy('seq')
    .select('usable', 'reason')) as Array<{ usable: number; reason: string }>;
  return rows.map((r) => ({ usable: r.usable === 1, reason: r.reason }));
}
