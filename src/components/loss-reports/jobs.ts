import Joi from 'joi';
import { systemContext } from '../../platform/context';
import { inTransaction } from '../../platform/db';
import type { JobDefinition, JobDeps } from '../../platform/queue';
import { cardsRepository, transitionCard } from '../cards';
import * as repo from './repository';

/**
 * Ends one temporary report whose time is up. The report row is locked and its status checked, so
 * the delayed job and the sweeper may both run it: whichever comes second finds nothing to do.
 */
export async function lapseReport(
  reportId: string,
  deps: Pick<JobDeps, 'db' | 'clock' | 'config'>,
): Promise<boolean> {
  const now = deps.clock.now();
  return inTransaction(deps.db, async (trx) => {
    const report = await repo.findReport(trx, reportId, { forUpdate: true });
    if (!report || report.kind !== 'temporary' || report.status !== 'open') return false;
    if (report.expiresAt && report.expiresAt > now) return false;
    const card = await cardsRepository.findByDbId(trx, report.cardDbId, { forUpdate: true });
    if (!card || card.status !== 'temp_lost') return false;
    const ctx = systemContext(`loss-report-lapse:${reportId}`);
    await repo.closeReport(trx, report.dbId, 'lapsed', 'system', now);
    const to = deps.config.tempLossOnLapse === 'lost' ? 'lost' : 'active';
    await transitionCard(trx, ctx, card, to, now, {
      action: 'card.loss_lapsed',
      reason: to === 'lost' ? 'lost' : 'lapsed',
      extra: { reportId },
    });
    return true;
  });
}

export const lapseTemporaryReport: JobDefinition<{ reportId: string }> = {
  name: 'lapse-temporary-report',
  queue: 'cards',
  payload: Joi.object({ reportId: Joi.string().guid().required() }),
  options: (p) => ({
    jobId: `lapse-${p.reportId}`,
    attempts: 5,
    backoff: { type: 'exponential', delay: 2000 },
    removeOnComplete: 1000,
    removeOnFail: 5000,
  }),
  async handle({ reportId }, deps) {
    return { lapsed: await lapseReport(reportId, deps) };
  },
};

/** Every minute: any report past its time that no delayed job ended (Redis lost it, say). */
export const sweepLapsedReports: JobDefinition<Record<string, never>> = {
  name: 'sweep-lapsed-reports',
  queue: 'maintenance',
  payload: Joi.object({}),
  schedule: { every: 60_000 },
  options: () => ({ attempts: 1, removeOnComplete: 100, removeOnFail: 100 }),
  async handle(_payload, deps) {
    let lapsed = 0;
    for (;;) {
      const ids = await repo.lapsedReportIds(deps.db, deps.clock.now(), 200);
      let progressed = 0;
      for (const id of ids) if (await lapseReport(id, deps)) progressed++;
      lapsed += progressed;
      if (ids.length < 200 || progressed === 0) break;
    }
    return { lapsed };
  },
};
