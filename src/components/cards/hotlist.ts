import { inTransaction, type Conn, type Db, type Statement } from '../../platform/db';

/**
 * Appends to the hotlist that offline terminals page through. The entry gets its number only once it
 * has committed (see numberCommittedEntries), so writers never wait for one another on a counter.
 */
export function appendHotlist(
  conn: Conn,
  entry: { cardDbId: number; cardNo: string; usable: boolean; reason: string; at: Date },
): Statement {
  return conn('hotlist').insert({
    card_id: entry.cardDbId,
    card_no: entry.cardNo,
    usable: entry.usable,
    reason: entry.reason,
    at: entry.at,
  });
}

/** Entries numbered in one pass at most; a reader that finds more numbers them on its next page. */
const NUMBERING_PASS = 2000;
/** Rows numbered per UPDATE statement. */
const NUMBERING_STATEMENT = 500;

/**
 * Numbers the committed entries that have no number yet, in the order they were written, after the
 * last number handed out. Only committed entries are visible here, so no number goes to an entry that
 * could still roll back, and an entry that commits late gets a number above every one a terminal has
 * read already: paging by number sees every entry once. The changes of one card are written one after
 * another under its row lock, so they are numbered in their order. The counter row's lock makes
 * concurrent passes take turns.
 */
export async function numberCommittedEntries(db: Db): Promise<void> {
  if (!(await db('hotlist').whereNull('seq').first('id'))) return;
  await inTransaction(db, async (trx) => {
    const counter = (await trx('hotlist_counter').where('id', 1).forUpdate().first('last_seq')) as {
      last_seq: number | string;
    };
    const pending = (await trx('hotlist')
      .whereNull('seq')
      .orderBy('id')
      .limit(NUMBERING_PASS)
      .select('id')) as Array<{ id: number | string }>;
    if (pending.length === 0) return;
    let last = BigInt(counter.last_seq);
    for (let i = 0; i < pending.length; i += NUMBERING_STATEMENT) {
      const part = pending.slice(i, i + NUMBERING_STATEMENT);
      const numbered = part.flatMap((r) => [String(r.id), String((last += 1n))]);
      await trx.raw(
        `UPDATE hotlist SET seq = CASE id ${part.map(() => 'WHEN ? THEN ?').join(' ')} END
          WHERE id IN (${part.map(() => '?').join(', ')})`,
        [...numbered, ...part.map((r) => String(r.id))],
      );
    }
    await trx('hotlist_counter')
      .where('id', 1)
      .update({ last_seq: String(last) });
  });
}

export interface HotlistEntry {
  seq: string;
  cardNo: string;
  usable: boolean;
  at: Date;
}

const MAX_SEQ = 18446744073709551615n;

/** Entries after a cursor. The cursor is a string of digits end to end: no float ever rounds it. */
export async function hotlistAfter(db: Db, afterSeq: string, limit: number): Promise<HotlistEntry[]> {
  if (BigInt(afterSeq) >= MAX_SEQ) return [];
  await numberCommittedEntries(db);
  const rows = (await db('hotlist')
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
    .orderBy('id')
    .select('usable', 'reason')) as Array<{ usable: number; reason: string }>;
  return rows.map((r) => ({ usable: r.usable === 1, reason: r.reason }));
}
