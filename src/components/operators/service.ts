import { randomUUID } from 'node:crypto';
import { recordAudit } from '../../platform/audit';
import { systemContext, type OperatorActor, type OperatorRole } from '../../platform/context';
import { inTransaction, type Db } from '../../platform/db';
import { newSecret, secretHash } from '../../platform/tokens';
import { referenceRepository } from '../reference';
import * as repo from './repository';

export const ROLES: OperatorRole[] = ['counter', 'call_center', 'collector', 'admin', 'auditor'];

export interface NewOperator {
  role: OperatorRole;
  name: string;
  centre?: string;
  team?: string;
}

/** Creates an operator and returns the token, which is shown this once and stored only as a hash. */
export async function createOperator(
  db: Db,
  input: NewOperator,
): Promise<{ operatorId: string; token: string }> {
  if (!ROLES.includes(input.role)) throw new Error(`Unknown role ${input.role}; one of ${ROLES.join(', ')}`);
  if (!input.name.trim()) throw new Error('An operator needs a name (--name)');
  const token = newSecret('op');
  const operatorId = randomUUID();
  const at = new Date();
  await inTransaction(db, async (trx) => {
    let centre: string | null = null;
    let teamId: number | null = null;
    if (input.role === 'counter') {
      if (!input.centre) throw new Error('A counter operator belongs to a centre (--centre DL)');
      const found = await referenceRepository.findCentreByCodeOrName(trx, input.centre);
      if (!found) throw new Error(`Unknown centre ${input.centre}`);
      if (found.status !== 'open') throw new Error(`Centre ${found.code} (${found.name}) is not open yet`);
      centre = found.code;
    }
    if (input.role === 'collector') {
      if (!input.team) throw new Error('A collector belongs to a team (--team <teamId>)');
      const found = await repo.teamDbId(trx, input.team);
      if (found === undefined) throw new Error(`Unknown team ${input.team}`);
      teamId = found;
    }
    await repo.insertOperator(trx, {
      publicId: operatorId,
      name: input.name.trim(),
      role: input.role,
      centre,
      teamId,
      tokenHash: secretHash(token),
      at,
    });
    await recordAudit(
      trx,
      systemContext('cli'),
      {
        action: 'operator.created',
        entityType: 'operator',
        entityId: operatorId,
        after: { role: input.role, centre, team: input.team ?? null },
      },
      at,
    );
  });
  return { operatorId, token };
}

/**
 * Disables an operator (a clerk who left, a token that leaked): their token stops working at once for
 * new look-ups, and within the API's token cache time everywhere. Disabling twice is harmless.
 */
export async function disableOperator(db: Db, operatorId: string): Promise<'disabled' | 'already'> {
  const at = new Date();
  return inTransaction(db, async (trx) => {
    if (!(await repo.operatorExists(trx, operatorId))) throw new Error(`Unknown operator ${operatorId}`);
    if (!(await repo.disableOperator(trx, operatorId, at))) return 'already';
    await recordAudit(
      trx,
      systemContext('cli'),
      {
        action: 'operator.disabled',
        entityType: 'operator',
        entityId: operatorId,
        after: { disabled: true },
      },
      at,
    );
    return 'disabled';
  });
}

export async function operatorByToken(db: Db, token: string): Promise<OperatorActor | undefined> {
  return repo.findActiveByTokenHash(db, secretHash(token));
}
