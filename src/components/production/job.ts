import { UnrecoverableError } from 'bullmq';
import Joi from 'joi';
import { recordAudit } from '../../platform/audit';
import { systemContext } from '../../platform/context';
import { addYears, localDate } from '../../platform/dates';
import { inTransaction } from '../../platform/db';
import type { JobDefinition } from '../../platform/queue';
import { applicationsRepository } from '../applications';
import { CARD_VALIDITY_YEARS, cardsRepository } from '../cards';
import * as repo from './repository';

/** Cards made per transaction: small enough to keep locks short, large enough to be quick. */
const CHUNK = 200;

export interface ProduceCardsPayload {
  runId: string;
}

/**
 * Turns submitted applications into produced cards. Each chunk commits its cards, the applications'
 * new state and the run's count together, and a chunk only takes applications still `submitted` and
 * not locked by another run, so overlapping runs and retried jobs never make a card twice.
 */
export const produceCards: JobDefinition<ProduceCardsPayload> = {
  name: 'produce-cards',
  queue: 'production',
  payload: Joi.object({ runId: Joi.string().guid().required() }),
  options: (p) => ({
    jobId: `produce-${p.runId}`,
    attempts: 5,
    backoff: { type: 'exponential', delay: 1000 },
    removeOnComplete: 1000,
    removeOnFail: 5000,
  }),
  async handle({ runId }, { db, clock }) {
    const run = await repo.findRun(db, runId);
    if (!run) throw new UnrecoverableError(`production run ${runId} does not exist`);
    if (run.status === 'completed' || run.status === 'failed') return { produced: run.produced };
    await repo.updateRun(db, run.dbId, { status: 'processing', startedAt: clock.now() });
    const ctx = systemContext(`production-run:${runId}`);
    for (;;) {
      const made = await inTransaction(db, async (trx) => {
        const current = await repo.findRun(trx, runId, { forUpdate: true });
        const left =
          current!.maxCards === null ? CHUNK : Math.min(CHUNK, current!.maxCards - current!.produced);
        if (left <= 0) return 0;
        const apps = await applicationsRepository.claimSubmitted(trx, { centre: run.centre, limit: left });
        if (apps.length === 0) return 0;
        const now = clock.now();
        const validUntil = addYears(localDate(now), CARD_VALIDITY_YEARS);
        const audits = [];
        for (const app of apps) {
          const card = await cardsRepository.insertCard(trx, {
            type: app.cardType,
            status: 'produced',
            residentDbId: app.residentDbId,
            bank: app.bank,
            applicationDbId: app.dbId,
            replacesCardDbId: app.replacesCardDbId,
            centre: app.centre,
            producedAt: now,
            validUntil,
            collectedAt: null,
          });
          audits.push(
            {
              action: 'card.produced',
              entityType: 'card',
              entityId: card.cardNo,
              after: {
                cardNo: card.cardNo,
                type: card.type,
                status: 'produced',
                applicationNo: app.applicationNo,
                runId,
              },
            },
            {
              action: 'application.ready',
              entityType: 'application',
              entityId: app.applicationNo,
              before: { status: app.status },
              after: { status: 'ready', cardNo: card.cardNo, runId },
            },
          );
        }
        await applicationsRepository.markReady(
          trx,
          apps.map((a) => a.dbId),
          now,
        );
        await repo.updateRun(trx, run.dbId, { addProduced: apps.length });
        await recordAudit(trx, ctx, audits, now);
        return apps.length;
      });
      if (made === 0) break;
    }
    await repo.updateRun(db, run.dbId, { status: 'completed', finishedAt: clock.now() });
    const finished = await repo.findRun(db, runId);
    return { produced: finished?.produced ?? 0 };
  },
};
