import Joi from 'joi';
import type { JobDefinition, JobDeps } from '../../platform/queue';
import { produceCards } from './job';
import * as repo from './repository';

/**
 * Makes sure every run the API acknowledged is made. Redis holds only the queue: a run whose job went
 * with it (Redis restarted empty) is queued again from MySQL, and the run's own job id keeps a run
 * whose job is still there from being queued twice. A run whose job BullMQ gave up on after all its
 * attempts is marked failed, so it never shows `processing` for ever.
 */
export async function recoverUnfinishedRuns(deps: Pick<JobDeps, 'db' | 'queues' | 'clock' | 'logger'>) {
  const queue = deps.queues.get(produceCards.queue);
  let enqueued = 0;
  let failed = 0;
  for (const runId of await repo.unfinishedRuns(deps.db)) {
    const job = await queue.getJob(produceCards.options({ runId }).jobId!);
    if (!job) {
      await deps.queues.enqueue(produceCards, { runId });
      enqueued += 1;
    } else if (await job.isFailed()) {
      const run = await repo.findRun(deps.db, runId);
      if (!run) continue;
      await repo.updateRun(deps.db, run.dbId, {
        status: 'failed',
        failure: job.failedReason || 'production job failed',
        finishedAt: deps.clock.now(),
      });
      failed += 1;
    }
  }
  if (enqueued || failed) deps.logger.info({ enqueued, failed }, 'production runs recovered');
  return { enqueued, failed };
}

export const recoverRuns: JobDefinition<Record<string, never>> = {
  name: 'recover-production-runs',
  queue: 'maintenance',
  payload: Joi.object<Record<string, never>>({}),
  options: () => ({ removeOnComplete: 100, removeOnFail: 100 }),
  schedule: { every: 60 * 1000 },
  handle: (_p, deps) => recoverUnfinishedRuns(deps),
};
