import type { Redis } from 'ioredis';
import type { Config } from './config';
import type { Clock } from './platform/dates';
import type { Db } from './platform/db';
import type { Logger } from './platform/logger';
import type { PiiVault } from './platform/pii';
import type { Queues } from './platform/queue';

/** Everything the API and the workers are built from; tests build it with their own clock and logger. */
export interface AppDeps {
  config: Config;
  db: Db;
  redis: Redis;
  queues: Queues;
  vault: PiiVault;
  clock: Clock;
  logger: Logger;
}
