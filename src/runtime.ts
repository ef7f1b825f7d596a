import type { Config } from './config';
import type { AppDeps } from './deps';
import { systemClock } from './platform/dates';
import { API_LOCK_WAIT_SECONDS, createDb } from './platform/db';
import { createLogger } from './platform/logger';
import { createPiiVault } from './platform/pii';
import { createQueues } from './platform/queue';
import { createRedis } from './platform/redis';

/** Opens the real connections for a process of the given kind. */
export function openDeps(config: Config, purpose: 'api' | 'worker' | 'cli'): AppDeps {
  const logger = createLogger({ level: config.logLevel, file: config.logFile, name: purpose });
  const redis = createRedis(config.redisUrl, purpose === 'worker' ? 'worker' : 'api');
  // an unreachable Redis shows in /readyz and as 503s; it must not crash the process
  redis.on('error', (err: Error) => logger.warn({ err: { message: err.message } }, 'redis connection error'));
  return {
    config,
    logger,
    redis,
    db: createDb(config.databaseUrl, config.dbPoolMax, purpose === 'api' ? API_LOCK_WAIT_SECONDS : undefined),
    queues: createQueues(redis, config.queuePrefix, logger),
    vault: createPiiVault(config.piiEncryptionKey, config.piiHashKey),
    clock: systemClock,
  };
}

export async function closeDeps(deps: AppDeps): Promise<void> {
  await deps.queues.close().catch(() => undefined);
  deps.redis.disconnect();
  await deps.db.destroy();
}
