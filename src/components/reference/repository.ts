import type { Conn } from '../../platform/db';

export interface Centre {
  code: string;
  name: string;
  status: 'open' | 'planned';
}

export async function findCentre(conn: Conn, code: string): Promise<Centre | undefined> {
  return (await conn('service_centres').where({ code }).first('code', 'name', 'status')) as
    Centre | undefined;
}

export async function isTown(conn: Conn, town: string): Promise<boolean> {
  return (await conn('towns').where({ name: town }).first('name')) !== undefined;
}

export async function defaultCentresByTown(conn: Conn): Promise<Map<string, string>> {
  const rows = (await conn('towns').select('name', 'default_centre')) as Array<{
    name: string;
    default_centre: string;
  }>;
  return new Map(rows.map((r) => [r.name, r.default_centre]));
}

export async function isBank(conn: Conn, name: string): Promise<boolean> {
  return (await conn('banks').where({ name }).first('name')) !== undefined;
}

export async function bankNames(conn: Conn): Promise<string[]> {
  const rows = (await conn('banks').orderBy('sort_order').select('name')) as Array<{ name: string }>;
  return rows.map((r) => r.name);
}

/** Holidays and make-up working days between two dates inclusive. */
export async function calendarBetween(
  conn: Conn,
  from: string,
  to: string,
): Promise<Map<string, 'holiday' | 'workday'>> {
  const rows = (await conn('calendar_days').whereBetween('day', [from, to]).select('day', 'kind')) as Array<{
    day: string;
    kind: 'holiday' | 'workday';
  }>;
  return new Map(rows.map((r) => [r.day, r.kind]));
}

/** Counters may name a centre by code (DL) or by name (大良). */
export async function findCentreByCodeOrName(conn: Conn, given: string): Promise<Centre | undefined> {
  return (await conn('service_centres')
    .where('code', given.toUpperCase())
    .orWhere('name', given)
    .first('code', 'name', 'status')) as Centre | undefined;
}
