import { findOne, type Conn } from '../../platform/db';

export interface FunctionDef {
  code: string;
  name: string;
  scope: 'nationwide' | 'local';
  cardTypes: string[];
  availability: 'open' | 'planned';
}

interface Row {
  code: string;
  name: string;
  scope: 'nationwide' | 'local';
  card_types: string;
  availability: 'open' | 'planned';
}

const toDef = (r: Row): FunctionDef => ({
  code: r.code,
  name: r.name,
  scope: r.scope,
  cardTypes: r.card_types.split(','),
  availability: r.availability,
});

export async function catalogue(conn: Conn): Promise<FunctionDef[]> {
  const rows = (await conn('functions')
    .orderBy('sort_order')
    .select('code', 'name', 'scope', 'card_types', 'availability')) as Row[];
  return rows.map(toDef);
}

export async function findFunction(
  conn: Conn,
  code: string,
  opts: { forUpdate?: boolean } = {},
): Promise<FunctionDef | undefined> {
  return findOne(
    conn('functions').where({ code }).select('code', 'name', 'scope', 'card_types', 'availability'),
    toDef,
    opts,
  );
}

export async function setAvailability(
  conn: Conn,
  code: string,
  availability: 'open' | 'planned',
): Promise<void> {
  await conn('functions').where({ code }).update({ availability });
}

/**
 * The catalogue changes only when an administrator opens or closes a function, so each process keeps
 * it for a few seconds; the process that changes it forgets its copy at once.
 *
 * A caller whose copy is missing or stale reads it on its own connection and waits for nothing else.
 * Sharing one read between callers would let a transaction holding a pooled connection wait for a read
 * queued for another: with every connection held by such a transaction, the pool deadlocks until the
 * acquire timeout.
 */
const CATALOGUE_TTL_MS = 5000;
let cached: { at: number; value: FunctionDef[] } | undefined;
/** Moves on whenever the catalogue is forgotten, so a read begun before that is not kept after it. */
let generation = 0;

export async function cachedCatalogue(conn: Conn): Promise<FunctionDef[]> {
  if (cached && Date.now() - cached.at <= CATALOGUE_TTL_MS) return cached.value;
  const readFor = generation;
  const at = Date.now();
  const value = await catalogue(conn);
  if (readFor === generation && (!cached || cached.at < at)) cached = { at, value };
  return value;
}

export function forgetCatalogue(): void {
  cached = undefined;
  generation++;
}
