import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { loadConfig } from '../../src/config';
import type { Db } from '../../src/platform/db';
import { createPiiVault, type PiiVault } from '../../src/platform/pii';
import { freePort, freshDatabase, startProcess, waitReady } from '../support';
import { DIR, LOGS } from './paths';
import { adopt, terminate } from './processes';
import type { Rig } from './servers';

/** One drill's database, queue prefix and the environment of the processes it starts. */
export interface System {
  n: number;
  url: string;
  db: Db;
  prefix: string;
  redisUrl: string;
  env: NodeJS.ProcessEnv;
  vault: PiiVault;
  children: ChildProcess[];
}

export async function openDrill(rig: Rig, n: number): Promise<System> {
  const url = rig.mysql.url(`citizen_card_drill_${n}`);
  const db = await freshDatabase(url, 4);
  const prefix = `cc-drill-${n}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'development',
    DATABASE_URL: url,
    REDIS_URL: rig.redis.url,
    QUEUE_PREFIX: prefix,
    UPLOAD_DIR: path.join(DIR, 'uploads'),
    LOG_LEVEL: 'info',
    LOG_FILE: '',
  };
  const config = loadConfig(env);
  return {
    n,
    url,
    db,
    prefix,
    redisUrl: rig.redis.url,
    env,
    vault: createPiiVault(config.piiEncryptionKey, config.piiHashKey),
    children: [],
  };
}

export async function closeDrill(sys: System): Promise<void> {
  // workers first: an API stopping under a worker's feet changes nothing, the reverse may
  for (const child of [...sys.children].reverse()) await terminate(child, 'SIGTERM');
  await sys.db.destroy();
}

export async function startApi(sys: System, label: string): Promise<string> {
  const port = await freePort();
  const child = startProcess('src/server.ts', {
    ...sys.env,
    PORT: String(port),
    LOG_FILE: path.join(LOGS, `${label}.log`),
  });
  sys.children.push(adopt(child, label));
  const base = `http://127.0.0.1:${port}`;
  await waitReady(base);
  return base;
}

export function startWorker(sys: System, label: string): ChildProcess {
  const child = startProcess('jobs/worker.ts', { ...sys.env, LOG_FILE: path.join(LOGS, `${label}.log`) });
  sys.children.push(adopt(child, label));
  return child;
}
