import type { Conn } from '../../platform/db';
import type { OperatorActor, OperatorRole } from '../../platform/context';

interface OperatorRow {
  public_id: string;
  name: string;
  role: OperatorRole;
  centre_code: string | null;
  team_public_id: string | null;
}

function toActor(row: OperatorRow): OperatorActor {
  return {
    kind: 'operator',
    id: row.public_id,
    name: row.name,
    role: row.role,
    centre: row.centre_code,
    team: row.team_public_id,
  };
}

export async function findActiveByTokenHash(
  conn: Conn,
  tokenHash: Buffer,
): Promise<OperatorActor | undefined> {
  const row = (await conn('operators as o')
    .leftJoin('collection_teams as t', 't.id', 'o.team_id')
    .where('o.token_hash', tokenHash)
    .whereNull('o.disabled_at')
    .first('o.public_id', 'o.name', 'o.role', 'o.centre_code', 't.public_id as team_public_id')) as
    OperatorRow | undefined;
  return row ? toActor(row) : undefined;
}

export async function insertOperator(
  conn: Conn,
  op: {
    publicId: string;
    name: string;
    role: OperatorRole;
    centre: string | null;
    teamId: number | null;
    tokenHash: Buffer;
    at: Date;
  },
): Promise<void> {
  await conn('operators').insert({
    public_id: op.publicId,
    name: op.name,
    role: op.role,
    centre_code: op.centre,
    team_id: op.teamId,
    token_hash: op.tokenHash,
    created_at: op.at,
  });
}

export async function teamDbId(conn: Conn, teamPublicId: string): Promise<number | undefined> {
  const row = (await conn('collection_teams').where('public_id', teamPublicId).first('id')) as
    { id: number | string } | undefined;
  return row ? Number(row.id) : undefined;
}

/** Disables an operator that is still active; returns whether one was. */
export async function disableOperator(conn: Conn, publicId: string, at: Date): Promise<boolean> {
  const changed = await conn('operators')
    .where('public_id', publicId)
    .whereNull('disabled_at')
    .update({ disabled_at: at });
  return changed === 1;
}

export async function operatorExists(conn: Conn, publicId: string): Promise<boolean> {
  return (await conn('operators').where('public_id', publicId).first('id')) !== undefined;
}
