import Joi from 'joi';
import { recordAudit } from '../../platform/audit';
import { systemContext } from '../../platform/context';
import { localDate } from '../../platform/dates';
import { inTransaction } from '../../platform/db';
import type { JobDefinition } from '../../platform/queue';
import { cardsRepository, transitionCard } from '../cards';
import * as repo from './repository';

/**
 * Cards left at the centre past the receipt's deadline (ready + 365 days) are sealed (封存), with their
 * applications. Each application is re-read under lock, so a pickup racing the job wins or loses whole.
 */
export const sealUncollected: JobDefinition<Record<string, never>> = {
  name: 'seal-uncollected-cards',
  queue: 'maintenance',
  payload: Joi.object({}),
  schedule: { every: 3_600_000 },
  options: () => ({ attempts: 1, removeOnComplete: 100, removeOnFail: 100 }),
  async handle(_payload, { db, clock }) {
    let sealed = 0;
    const ctx = systemContext('seal-uncollected-cards');
    for (;;) {
      const now = clock.now();
      const ids = await repo.readyPastDeadline(db, localDate(now), 100);
      if (ids.length === 0) break;
      for (const id of ids) {
        await inTransaction(db, async (trx) => {
          const app = await repo.findByDbId(trx, id, { forUpdate: true });
          if (!app || app.status !== 'ready') return;
          const card = await cardsRepository.findByApplication(trx, id, { forUpdate: true });
          if (card?.status === 'produced')
            await transitionCard(trx, ctx, card, 'sealed', now, { action: 'card.sealed', reason: 'sealed' });
          await repo.updateApplication(trx, id, { status: 'sealed' }, now);
          await recordAudit(
            trx,
            ctx,
            {
              action: 'application.sealed',
              entityType: 'application',
              entityId: app.applicationNo,
              before: { status: 'ready' },
              after: { status: 'sealed' },
            },
            now,
          );
          sealed++;
        });
      }
      if (ids.length < 100) break;
    }
    return { sealed };
  },
};
