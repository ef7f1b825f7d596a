import type { Knex } from 'knex';
import { findOne, firstRow, runRead, type Conn, type Read, type Statement } from '../../platform/db';
import { inSavepoint, isDuplicateKey } from '../../platform/db';
import { randomDigits, withLuhn } from '../../platform/numbers';

export type CardType = 'B' | 'C_NAMED' | 'C_ANON';
export type CardStatus = 'produced' | 'active' | 'temp_lost' | 'lost' | 'replaced' | 'cancelled' | 'sealed';

export interface CardRecord {
  dbId: number;
  cardNo: string;
  type: CardType;
  status: CardStatus;
  residentDbId: number | null;
  bank: string | null;
  applicationDbId: number | null;
  replacesCardDbId: number | null;
  centre: string;
  producedAt: Date;
  validUntil: string;
  collectedAt: Date | null;
}

interface Row {
  id: number | string;
  card_no: string;
  type: CardType;
  status: CardStatus;
  resident_id: number | string | null;
  bank: string | null;
  application_id: number | string | null;
  replaces_card_id: number | string | null;
  centre_code: string;
  produced_at: Date;
  valid_until: string;
  collected_at: Date | null;
}

const num = (v: number | string | null): number | null => (v === null ? null : Number(v));

function fromRow(r: Row): CardRecord {
  return {
    dbId: Number(r.id),
    cardNo: r.card_no,
    type: r.type,
    status: r.status,
    residentDbId: num(r.resident_id),
    bank: r.bank,
    applicationDbId: num(r.application_id),
    replacesCardDbId: num(r.replaces_card_id),
    centre: r.centre_code,
    producedAt: r.produced_at,
    validUntil: r.valid_until,
    collectedAt: r.collected_at,
  };
}

const COLUMNS = [
  'id',
  'card_no',
  'type',
  'status',
  'resident_id',
  'bank',
  'application_id',
  'replaces_card_id',
  'centre_code',
  'produced_at',
  'valid_until',
  'collected_at',
];

/** Card numbers: 8 random digits and a Luhn digit; never sequential, never reused (cards are never deleted). */
export function newCardNumber(): string {
  return withLuhn(randomDigits(8, true));
}

export interface NewCard {
  type: CardType;
  status: CardStatus;
  residentDbId: number | null;
  bank: string | null;
  applicationDbId: number | null;
  replacesCardDbId: number | null;
  centre: string;
  producedAt: Date;
  validUntil: string;
  collectedAt: Date | null;
}

/** Inserts a card under a fresh number; a clash with an existing number draws another. */
export async function insertCard(conn: Conn, card: NewCard): Promise<CardRecord> {
  for (let attempt = 0; ; attempt++) {
    const cardNo = newCardNumber();
    try {
      const ids = await inSavepoint(conn, async (sp): Promise<number[]> =>
        sp('cards').insert({
          card_no: cardNo,
          type: card.type,
          status: card.status,
          resident_id: card.residentDbId,
          bank: card.bank,
          application_id: card.applicationDbId,
          replaces_card_id: card.replacesCardDbId,
          centre_code: card.centre,
          produced_at: card.producedAt,
          valid_until: card.validUntil,
          collected_at: card.collectedAt,
          created_at: card.producedAt,
          updated_at: card.producedAt,
        }),
      );
      return { ...card, dbId: Number(ids[0]), cardNo };
    } catch (err) {
      if (!isDuplicateKey(err, 'cards_card_no') || attempt >= 5) throw err;
    }
  }
}

/** The card with this number, as a read that can travel with others in one round trip. */
export function cardByNo(
  conn: Conn,
  cardNo: string,
  opts: { forUpdate?: boolean } = {},
): Read<CardRecord | undefined> {
  return firstRow(conn('cards').where('card_no', cardNo).select(COLUMNS), fromRow, opts);
}

export async function findByCardNo(
  conn: Conn,
  cardNo: string,
  opts: { forUpdate?: boolean } = {},
): Promise<CardRecord | undefined> {
  return runRead(cardByNo(conn, cardNo, opts));
}

/**
 * A card's row id, and its holder's, as subqueries: what hangs off a card can then be read in the same
 * round trip as the card itself.
 */
export function idOfCardNo(conn: Conn, cardNo: string): Knex.QueryBuilder {
  return conn('cards').where('card_no', cardNo).select('id');
}

export function holderIdOfCardNo(conn: Conn, cardNo: string): Knex.QueryBuilder {
  return conn('cards').where('card_no', cardNo).select('resident_id');
}

export async function findByDbId(
  conn: Conn,
  dbId: number,
  opts: { forUpdate?: boolean } = {},
): Promise<CardRecord | undefined> {
  return findOne(conn('cards').where('id', dbId).select(COLUMNS), fromRow, opts);
}

export async function findByApplication(
  conn: Conn,
  applicationDbId: number,
  opts: { forUpdate?: boolean } = {},
): Promise<CardRecord | undefined> {
  return findOne(conn('cards').where('application_id', applicationDbId).select(COLUMNS), fromRow, opts);
}

export async function findReplacementOf(conn: Conn, cardDbId: number): Promise<CardRecord | undefined> {
  const row = (await conn('cards')
    .where('replaces_card_id', cardDbId)
    .orderBy('id', 'desc')
    .first(COLUMNS)) as Row | undefined;
  return row ? fromRow(row) : undefined;
}

export async function cardNoOf(conn: Conn, dbId: number): Promise<string | undefined> {
  const row = (await conn('cards').where('id', dbId).first('card_no')) as { card_no: string } | undefined;
  return row?.card_no;
}

/** Every named card the resident has ever had, newest first. */
export async function cardsOfResident(conn: Conn, residentDbId: number): Promise<CardRecord[]> {
  const rows = (await conn('cards')
    .where('resident_id', residentDbId)
    .orderBy('id', 'desc')
    .select(COLUMNS)) as Row[];
  return rows.map(fromRow);
}

export async function liveNamedCardOf(conn: Conn, residentDbId: number): Promise<CardRecord | undefined> {
  const row = (await conn('cards')
    .where('resident_id', residentDbId)
    .whereIn('type', ['B', 'C_NAMED'])
    .whereIn('status', ['produced', 'active', 'temp_lost'])
    .first(COLUMNS)) as Row | undefined;
  return row ? fromRow(row) : undefined;
}

/**
 * Whether the resident ever held a named card: one handed over at a counter. A card that was made but
 * never collected (cancelled or sealed at the centre) was never theirs, so the next one is still free.
 */
export async function hasEverHadNamedCard(conn: Conn, residentDbId: number): Promise<boolean> {
  const held = await conn('cards')
    .where('resident_id', residentDbId)
    .whereIn('type', ['B', 'C_NAMED'])
    .whereNotNull('collected_at')
    .first('id');
  return held !== undefined;
}

export function updateCard(
  conn: Conn,
  dbId: number,
  changes: { status?: CardStatus; collectedAt?: Date },
  at: Date,
): Statement {
  return conn('cards')
    .where('id', dbId)
    .update({
      ...(changes.status ? { status: changes.status } : {}),
      ...(changes.collectedAt ? { collected_at: changes.collectedAt } : {}),
      updated_at: at,
    });
}

export interface CardFunctionRow {
  code: string;
  status: 'inactive' | 'active' | 'suspended';
  resumeStatus: 'inactive' | 'active' | null;
}

export async function functionsOfCard(conn: Conn, cardDbId: number): Promise<CardFunctionRow[]> {
  const rows = (await conn('card_functions')
    .where('card_id', cardDbId)
    .select('code', 'status', 'resume_status')) as Array<{
    code: string;
    status: CardFunctionRow['status'];
    resume_status: CardFunctionRow['resumeStatus'];
  }>;
  return rows.map((r) => ({ code: r.code, status: r.status, resumeStatus: r.resume_status }));
}

export async function countCards(conn: Conn): Promise<number> {
  const row = (await conn('cards').count({ n: '*' }).first()) as { n: number | string };
  return Number(row.n);
}

/** Suspends every function the card type allows, remembering what each returns to. */
export function suspendFunctions(
  conn: Conn,
  cardDbId: number,
  codes: string[],
  at: Date,
): Statement | undefined {
  if (codes.length === 0) return undefined;
  // a function switched on returns to `active`, anything else (never set, off, already suspended) to
  // `inactive`; resume_status is assigned first, while status still holds what the function was
  return conn('card_functions')
    .insert(
      codes.map((code) => ({
        card_id: cardDbId,
        code,
        status: 'suspended',
        resume_status: 'inactive',
        updated_at: at,
      })),
    )
    .onConflict(['card_id', 'code'])
    .merge({
      resume_status: conn.raw("IF(status = 'active', 'active', 'inactive')"),
      status: 'suspended',
      updated_at: at,
    });
}

/** Puts suspended functions back to what they were. */
export function resumeFunctions(conn: Conn, cardDbId: number, at: Date): Statement {
  return conn('card_functions')
    .where({ card_id: cardDbId, status: 'suspended' })
    .update({
      status: conn.raw('COALESCE(resume_status, ?)', ['inactive']),
      resume_status: null,
      updated_at: at,
    });
}

export async function setFunctionStatus(
  conn: Conn,
  cardDbId: number,
  code: string,
  status: 'active' | 'inactive',
  at: Date,
): Promise<void> {
  await conn('card_functions')
    .insert({ card_id: cardDbId, code, status, resume_status: null, updated_at: at })
    .onConflict(['card_id', 'code'])
    .merge(['status', 'resume_status', 'updated_at']);
}

/** The functions a holder had switched on (or had suspended by a loss), for carrying over to a new card. */
export async function wantedFunctionsOf(conn: Conn, cardDbId: number): Promise<string[]> {
  const rows = await functionsOfCard(conn, cardDbId);
  return rows
    .filter((f) => f.status === 'active' || (f.status === 'suspended' && f.resumeStatus === 'active'))
    .map((f) => f.code);
}

/** The card this one replaced and the card that replaced it, in one look-up. */
export async function neighboursOf(
  conn: Conn,
  card: CardRecord,
): Promise<{ replaces: string | undefined; replacedBy: string | undefined }> {
  const rows = (await conn('cards')
    .where('replaces_card_id', card.dbId)
    .modify((q) => {
      if (card.replacesCardDbId !== null) q.orWhere('id', card.replacesCardDbId);
    })
    .orderBy('id', 'desc')
    .select('id', 'card_no')) as Array<{ id: number | string; card_no: string }>;
  const replaces = rows.find((r) => Number(r.id) === card.replacesCardDbId)?.card_no;
  const replacedBy = rows.find((r) => Number(r.id) !== card.replacesCardDbId)?.card_no;
  return { replaces, replacedBy };
}

/** A card with what its view shows: the holder's masked particulars, its neighbours and its functions. */
export interface CardViewRecord {
  card: CardRecord;
  holder: { name: string; idNumberMasked: string } | undefined;
  replaces: string | undefined;
  replacedBy: string | undefined;
  functions: Map<string, CardFunctionRow['status']>;
}

interface ViewRow extends Row {
  holder_name: string | null;
  holder_id_number_masked: string | null;
  replaces_no: string | null;
  replaced_by_id: number | string | null;
  replaced_by_no: string | null;
  function_code: string | null;
  function_status: CardFunctionRow['status'] | null;
}

/**
 * The card view in one round trip: it is the most read thing in the system (every counter and call
 * centre screen opens with it), and each extra query costs the database more than the join does. The
 * holder's columns are read here rather than through the residents component for that reason alone.
 * The card that replaced this one and its functions are joined, a row for each pairing, rather than
 * read by subqueries in the select list: the database spends about a third less on the statement.
 */
export function cardViewRecord(conn: Conn, cardNo: string): Read<CardViewRecord | undefined> {
  const select = conn('cards as c')
    .leftJoin('residents as r', 'r.id', 'c.resident_id')
    .leftJoin('cards as prev', 'prev.id', 'c.replaces_card_id')
    .leftJoin('cards as nxt', 'nxt.replaces_card_id', 'c.id')
    .leftJoin('card_functions as f', 'f.card_id', 'c.id')
    .where('c.card_no', cardNo)
    .select(
      ...COLUMNS.map((column) => `c.${column}`),
      'r.name as holder_name',
      'r.id_number_masked as holder_id_number_masked',
      'prev.card_no as replaces_no',
      'nxt.id as replaced_by_id',
      'nxt.card_no as replaced_by_no',
      'f.code as function_code',
      'f.status as function_status',
    );
  return { statement: select, map: (rows) => viewFromRows(rows as ViewRow[]) };
}

export async function findCardView(conn: Conn, cardNo: string): Promise<CardViewRecord | undefined> {
  return runRead(cardViewRecord(conn, cardNo));
}

function viewFromRows(rows: readonly ViewRow[]): CardViewRecord | undefined {
  const first = rows[0];
  if (!first) return undefined;
  const functions = new Map<string, CardFunctionRow['status']>();
  // a card replaced more than once (a replacement that was itself cancelled) shows the latest
  let replacedBy: { id: number; cardNo: string } | undefined;
  for (const row of rows) {
    if (row.function_code !== null && row.function_status !== null)
      functions.set(row.function_code, row.function_status);
    if (row.replaced_by_no !== null && (!replacedBy || Number(row.replaced_by_id) > replacedBy.id))
      replacedBy = { id: Number(row.replaced_by_id), cardNo: row.replaced_by_no };
  }
  return {
    card: fromRow(first),
    holder:
      first.holder_name === null
        ? undefined
        : { name: first.holder_name, idNumberMasked: first.holder_id_number_masked ?? '' },
    replaces: first.replaces_no ?? undefined,
    replacedBy: replacedBy?.cardNo,
    functions,
  };
}
