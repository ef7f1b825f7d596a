import { Redis } from 'ioredis';

/**
 * The API's connections fail fast: a request must get a 503 within seconds when Redis is down, not
 * wait on an offline queue. Workers use `forWorker`, which BullMQ needs to block indefinitely.
 */
export function createRedis(url: string, purpose: 'api' | 'worker'): Redis {
  if (purpose === 'worker') {
    return new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true });
  }
  return new Redis(url, {
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    connectTimeout: 2000,
    commandTimeout: 3000,
    retryStrategy: (times) => Math.min(times * 200, 2000),
  });
}
