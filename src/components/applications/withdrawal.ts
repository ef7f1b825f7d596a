import { recordAudit } from '../../platform/audit';
import type { RequestContext } from '../../platform/context';
import type { Trx } from '../../platform/db';
import * as repo from './repository';
import type { ApplicationRecord } from './repository';
import { applicationAuditView } from './view';

/**
 * A card cancelled while it still waits at the centre ends its application with it: the application
 * would otherwise stay `ready`, holding the resident's one open named slot for a card nobody can collect.
 * What was paid stays paid (the card was made); the caller has the card locked, this locks the application.
 */
export async function withdrawUncollected(
  trx: Trx,
  ctx: RequestContext,
  applicationDbId: number,
  cardNo: string,
  at: Date,
): Promise<void> {
  const app = await repo.findByDbId(trx, applicationDbId, { forUpdate: true });
  if (!app || app.status !== 'ready') return;
  await markCancelled(trx, ctx, app, at, { cardCancelled: cardNo });
}

/** Writes an application's cancellation and its audit event; the caller holds the row lock. */
export async function markCancelled(
  trx: Trx,
  ctx: RequestContext,
  app: ApplicationRecord,
  at: Date,
  audited: Record<string, unknown>,
): Promise<ApplicationRecord> {
  await repo.updateApplication(trx, app.dbId, { status: 'cancelled', cancelledAt: at }, at);
  const after: ApplicationRecord = { ...app, status: 'cancelled' };
  await recordAudit(
    trx,
    ctx,
    {
      action: 'application.cancelled',
      entityType: 'application',
      entityId: app.applicationNo,
      before: applicationAuditView(app),
      after: applicationAuditView(after, audited),
    },
    at,
  );
  return after;
}
