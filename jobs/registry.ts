import type { JobDefinition, QueueName } from '../src/platform/queue';
import { QUEUE_NAMES } from '../src/platform/queue';
import { produceCards, recoverRuns } from '../src/components/production';
import { lapseTemporaryReport, sweepLapsedReports } from '../src/components/loss-reports';
import { sealUncollected } from '../src/components/applications';
import { importBatch, purgeUploads, recoverBatches } from '../src/components/collection';
import { purgeIdempotencyKeys } from '../src/platform/idempotency-retention';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the registry holds every payload type
type AnyJob = JobDefinition<any>;

/** Every job the workers run. A queued job whose name is not here would sit forever, so start-up checks. */
export const JOBS: ReadonlyArray<AnyJob> = [
  produceCards,
  recoverRuns,
  lapseTemporaryReport,
  sweepLapsedReports,
  sealUncollected,
  importBatch,
  recoverBatches,
  purgeUploads,
  purgeIdempotencyKeys,
];

export function jobsByQueue(): Map<QueueName, Map<string, AnyJob>> {
  const map = new Map<QueueName, Map<string, AnyJob>>();
  for (const q of QUEUE_NAMES) map.set(q, new Map());
  for (const job of JOBS) {
    const forQueue = map.get(job.queue)!;
    if (forQueue.has(job.name)) throw new Error(`Job ${job.name} is registered twice`);
    forQueue.set(job.name, job);
  }
  return map;
}
