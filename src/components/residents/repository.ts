import type { Knex } from 'knex';
import { findOne, firstRow, runRead, type Conn, type Read } from '../../platform/db';
import type { Gender } from './personal-data';

/** A resident as stored: personal data still sealed. */
export interface ResidentRecord {
  dbId: number;
  id: string;
  idNumberHash: Buffer;
  idNumberSealed: Buffer;
  idNumberMasked: string;
  name: string;
  gender: Gender;
  birthDate: string;
  ethnicity: string | null;
  phoneSealed: Buffer | null;
  phoneMasked: string | null;
  address: string | null;
  town: string | null;
  community: string | null;
  guardianName: string | null;
  guardianIdHash: Buffer | null;
  guardianIdSealed: Buffer | null;
  guardianIdMasked: string | null;
  guardianRelation: string | null;
}

export type ResidentWrite = Omit<ResidentRecord, 'dbId'>;

interface Row {
  id: string | number;
  public_id: string;
  id_number_hash: Buffer;
  id_number_sealed: Buffer;
  id_number_masked: string;
  name: string;
  gender: Gender;
  birth_date: string;
  ethnicity: string | null;
  phone_sealed: Buffer | null;
  phone_masked: string | null;
  address: string | null;
  town: string | null;
  community: string | null;
  guardian_name: string | null;
  guardian_id_hash: Buffer | null;
  guardian_id_sealed: Buffer | null;
  guardian_id_masked: string | null;
  guardian_relation: string | null;
}

function fromRow(r: Row): ResidentRecord {
  return {
    dbId: Number(r.id),
    id: r.public_id,
    idNumberHash: r.id_number_hash,
    idNumberSealed: r.id_number_sealed,
    idNumberMasked: r.id_number_masked,
    name: r.name,
    gender: r.gender,
    birthDate: r.birth_date,
    ethnicity: r.ethnicity,
    phoneSealed: r.phone_sealed,
    phoneMasked: r.phone_masked,
    address: r.address,
    town: r.town,
    community: r.community,
    guardianName: r.guardian_name,
    guardianIdHash: r.guardian_id_hash,
    guardianIdSealed: r.guardian_id_sealed,
    guardianIdMasked: r.guardian_id_masked,
    guardianRelation: r.guardian_relation,
  };
}

function toRow(r: ResidentWrite): Omit<Row, 'id'> {
  return {
    public_id: r.id,
    id_number_hash: r.idNumberHash,
    id_number_sealed: r.idNumberSealed,
    id_number_masked: r.idNumberMasked,
    name: r.name,
    gender: r.gender,
    birth_date: r.birthDate,
    ethnicity: r.ethnicity,
    phone_sealed: r.phoneSealed,
    phone_masked: r.phoneMasked,
    address: r.address,
    town: r.town,
    community: r.community,
    guardian_name: r.guardianName,
    guardian_id_hash: r.guardianIdHash,
    guardian_id_sealed: r.guardianIdSealed,
    guardian_id_masked: r.guardianIdMasked,
    guardian_relation: r.guardianRelation,
  };
}

export async function findByIdNumberHash(
  conn: Conn,
  hash: Buffer,
  opts: { forUpdate?: boolean } = {},
): Promise<ResidentRecord | undefined> {
  return findOne(conn<Row>('residents').where('id_number_hash', hash).select(), fromRow, opts);
}

/** Many residents at once, keyed by identity-number hash (hex): the collection import's look-up. */
export async function findManyByIdNumberHash(
  conn: Conn,
  hashes: Buffer[],
  forUpdate = false,
): Promise<Map<string, ResidentRecord>> {
  const out = new Map<string, ResidentRecord>();
  if (hashes.length === 0) return out;
  const q = conn<Row>('residents').whereIn('id_number_hash', hashes);
  const rows = (await (forUpdate ? q.forUpdate() : q)) as Row[];
  for (const row of rows) out.set(row.id_number_hash.toString('hex'), fromRow(row));
  return out;
}

export async function findByPublicId(
  conn: Conn,
  publicId: string,
  opts: { forUpdate?: boolean } = {},
): Promise<ResidentRecord | undefined> {
  return findOne(conn<Row>('residents').where('public_id', publicId).select(), fromRow, opts);
}

/** The resident with this row id (or the id a subquery gives), as a read that can travel with others. */
export function residentByDbId(
  conn: Conn,
  dbId: number | Knex.QueryBuilder,
  opts: { forUpdate?: boolean } = {},
): Read<ResidentRecord | undefined> {
  return firstRow(conn<Row>('residents').where('id', dbId).select(), fromRow, opts);
}

export async function findByDbId(
  conn: Conn,
  dbId: number,
  opts: { forUpdate?: boolean } = {},
): Promise<ResidentRecord | undefined> {
  return runRead(residentByDbId(conn, dbId, opts));
}

export async function insertResident(conn: Conn, r: ResidentWrite, at: Date): Promise<number> {
  const [id] = await conn('residents').insert({ ...toRow(r), created_at: at, updated_at: at });
  return Number(id);
}

export async function insertResidents(conn: Conn, list: ResidentWrite[], at: Date): Promise<void> {
  if (list.length === 0) return;
  await conn('residents').insert(list.map((r) => ({ ...toRow(r), created_at: at, updated_at: at })));
}

export async function updateResident(conn: Conn, dbId: number, r: ResidentWrite, at: Date): Promise<void> {
  await conn('residents')
    .where('id', dbId)
    .update({ ...toRow(r), updated_at: at });
}

export async function countAll(conn: Conn): Promise<number> {
  const row = (await conn('residents').count({ n: '*' }).first()) as { n: number | string };
  return Number(row.n);
}
