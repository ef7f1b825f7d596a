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
 */
const CATALOGUE_TTL_MS = 5000;
let cached: { at: number; value: Promise<FunctionDef[]> } | undefined;

export function cachedCatalogue(conn: Conn): Promise<FunctionDef[]> {
  if (!cached || Date.now() - cached.at > CATALOGUE_TTL_MS) {
    const value = catalogue(conn);
    cached = { at: Date.now(), value };
    value.catch(() => (cached = undefined));
  }
  return cached.value;
}

export function forgetCatalogue(): void {
  cached = undefined;
}
