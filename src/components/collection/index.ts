import type { Redis } from 'ioredis';
import type { Config } from '../../config';
import type { Clock } from '../../platform/dates';
import type { Db } from '../../platform/db';
import type { PiiVault } from '../../platform/pii';
import type { Queues } from '../../platform/queue';
import { fixedWindowLimiter } from '../../platform/rate-limit';
import { AuthorisationsService } from './authorisations';
import { BatchesService } from './batches';
import { BatchFiles } from './storage';

export { AuthorisationsService, letterStatus, type LetterStatus } from './authorisations';
export { BatchesService, batchView, type BatchView } from './batches';
export { collectionRoutes } from './routes';
export { CollectionErrors } from './errors';
export { REASONS, reasonText, type ReasonCode } from './reasons';
export { importBatch, runImport, CHUNK_ROWS } from './import/job';
export { recoverBatches, purgeUploads, recoverUnfinishedBatches, purgeBatchFiles } from './maintenance';
export { collectionImportCommand } from './cli';
export { BatchFiles } from './storage';
export * as collectionRepository from './repository';

/** The collection component's services, built from the app's dependencies. */
export function collectionServices(deps: {
  config: Config;
  db: Db;
  redis: Redis;
  queues: Queues;
  vault: PiiVault;
  clock: Clock;
}) {
  const limiter = fixedWindowLimiter(deps.redis, {
    name: `${deps.config.queuePrefix}:public-authorisation`,
    limit: deps.config.publicRateLimitPerMinute,
    windowMs: 60 * 1000,
  });
  return {
    authorisations: new AuthorisationsService(deps.db, deps.vault, deps.clock, limiter),
    batches: new BatchesService(
      deps.db,
      new BatchFiles(deps.config.uploadDir, deps.vault),
      deps.queues,
      deps.clock,
    ),
  };
}
