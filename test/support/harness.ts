import fs from 'node:fs';
import path from 'node:path';
import type { Express } from 'express';
import { createConnection, type Connection } from 'mysql2';
import { buildApp } from '../../src/app';
import { loadConfig, type Config } from '../../src/config';
import type { AppDeps } from '../../src/deps';
import { API_LOCK_WAIT_SECONDS, createDb } from '../../src/platform/db';
import { createLogger } from '../../src/platform/logger';
import { createPiiVault } from '../../src/platform/pii';
import { createQueues, QUEUE_NAMES } from '../../src/platform/queue';
import { createRedis } from '../../src/platform/redis';
import { createOperator } from '../../src/components/operators';
import { ensureDatabase, migrate, seedReferenceData } from '../../db/schema';
import { startWorkers, type RunningWorkers } from '../../jobs/workers';
import { TestClock } from './clock';

export interface Harness {
  config: Config;
  deps: AppDeps;
  app: Express;
  clock: TestClock;
  workers: RunningWorkers;
  tokens: Record<'counterDL' | 'counterRG' | 'callCenter' | 'admin' | 'auditor', string>;
}

let current: Harness | undefined;
let suiteLock: Connection | undefined;

/**
 * One suite at a time per test database: a second run (another checkout, say) would drop the database
 * under the first, which then fails everywhere at once with missing tables and unknown tokens. The
 * lock is MariaDB's own, held by a connection of its own for the whole run and gone when it closes.
 */
async function lockTestDatabase(config: Config): Promise<void> {
  const url = new URL(config.databaseUrl);
  const name = url.pathname.slice(1);
  const connection = createConnection({
    host: url.hostname,
    port: Number(url.port || 3306),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
  });
  const [rows] = await connection
    .promise()
    .query('SELECT GET_LOCK(?, 0) AS got', [`citizen-card-suite:${name}`]);
  if ((rows as Array<{ got: number | null }>)[0]?.got !== 1) {
    connection.destroy();
    throw new Error(
      `Another test run is using the database ${name}. Wait for it, or give this checkout its own: ` +
        'TEST_DATABASE_URL=mysql://root@127.0.0.1:3306/citizen_card_test2 TEST_QUEUE_PREFIX=cc-test2 npm test',
    );
  }
  suiteLock = connection;
}

async function freshDatabase(config: Config): Promise<void> {
  const url = new URL(config.databaseUrl);
  const name = url.pathname.slice(1);
  url.pathname = '/';
  const server = createDb(url.toString(), 1);
  try {
    await server.raw(`DROP DATABASE IF EXISTS \`${name}\``);
  } finally {
    await server.destroy();
  }
  await ensureDatabase(config.databaseUrl);
}

/** Starts the real thing once for the whole suite: fresh schema, the app, and real BullMQ workers. */
export async function startHarness(): Promise<Harness> {
  if (current) return current;
  const config = loadConfig();
  await lockTestDatabase(config);
  fs.mkdirSync(path.dirname(config.logFile!), { recursive: true });
  fs.writeFileSync(config.logFile!, '');
  await freshDatabase(config);
  // the API's settings: the suite's requests are served as an API process serves them
  const db = createDb(config.databaseUrl, config.dbPoolMax, API_LOCK_WAIT_SECONDS);
  await migrate(db);
  await seedReferenceData(db);
  const redis = createRedis(config.redisUrl, 'api');
  await redis.ping().catch(async () => {
    await new Promise((r) => setTimeout(r, 500));
    await redis.ping();
  });
  const logger = createLogger({ level: config.logLevel, file: config.logFile, stdout: false, name: 'test' });
  const queues = createQueues(redis, config.queuePrefix, logger);
  for (const name of QUEUE_NAMES) await queues.get(name).obliterate({ force: true });
  const clock = new TestClock();
  const deps: AppDeps = {
    config,
    db,
    redis,
    queues,
    clock,
    vault: createPiiVault(config.piiEncryptionKey, config.piiHashKey),
    logger,
  };
  const workers = startWorkers(deps, { redisUrl: config.redisUrl });
  const token = async (role: Parameters<typeof createOperator>[1]) => (await createOperator(db, role)).token;
  const tokens = {
    counterDL: await token({ role: 'counter', centre: 'DL', name: '梁敏' }),
    counterRG: await token({ role: 'counter', centre: 'RG', name: '陈嘉' }),
    callCenter: await token({ role: 'call_center', name: '何静' }),
    admin: await token({ role: 'admin', name: '管理员' }),
    auditor: await token({ role: 'auditor', name: '审计员' }),
  };
  current = { config, deps, app: buildApp(deps), clock, workers, tokens };
  return current;
}

export function harness(): Harness {
  if (!current) throw new Error('The harness starts in the root before-all hook');
  return current;
}

export async function stopHarness(): Promise<void> {
  if (!current) return;
  const h = current;
  current = undefined;
  await h.workers.close();
  await h.deps.queues.close();
  h.deps.redis.disconnect();
  await h.deps.db.destroy();
  suiteLock?.destroy();
  suiteLock = undefined;
}
