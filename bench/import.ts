/**
 * `npm run bench:import` — how fast a collection batch goes through the real API and worker, next to
 * plain multi-row INSERTs of the same rows measured in the same run.
 *
 *   ROWS=10000,100000 npm run bench:import        (default: 10000 and 100000)
 *   npm run bench:import -- --rows 20000 --seed 11
 *   WORKER_MAX_HEAP_MB=64 ROWS=100000 npm run bench:import   (the worker under a small heap cap)
 *
 * For each size: a fresh database (citizen_card_bench, dropped and recreated), the API and a worker as
 * child processes, a file from ../shared/tools/gen-residents.mjs uploaded over HTTP and polled until
 * the batch completes (rows/s counts from the upload to completion: the row count pass, the queue and
 * every chunk). Peak RSS is the worker's high-water mark (VmHWM). The baseline reads the same file with
 * the same streaming reader and INSERTs the raw cells, 500 rows a statement and a transaction, into a
 * table with the file's columns: parsing and inserting with no checks, no encryption, no other tables.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, openAsBlob, readFileSync, rmSync } from 'node:fs';
import { createReadStream } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { loadConfig } from '../src/config';
import type { Db } from '../src/platform/db';
import { createOperator } from '../src/components/operators';
import { COLUMNS } from '../src/components/collection/parsing/columns';
import { readBatchRows } from '../src/components/collection/parsing/reader';
import { addDays, localDate } from '../src/platform/dates';
import {
  call,
  databaseUrl,
  formatTable,
  freePort,
  freshDatabase,
  peakRssMb,
  ROOT,
  startProcess,
  stopProcess,
  waitReady,
} from './support';

const GENERATOR = path.resolve(ROOT, '..', 'shared', 'tools', 'gen-residents.mjs');
const DATABASE = 'citizen_card_bench';
const PREFIX = 'cc-bench';
const UPLOAD_DIR = path.join(ROOT, 'var', 'bench-uploads');
const BASELINE_CHUNK = 500;

interface Expectation {
  accepted: number;
  rejected: number;
}

interface Result {
  rows: number;
  seconds: number;
  rowsPerSecond: number;
  baselineSeconds: number;
  baselineRowsPerSecond: number;
  insertOnlyRowsPerSecond: number;
  peakRssMb: number;
  accepted: number;
  rejected: number;
  expected: Expectation;
}

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function sizes(): number[] {
  const given = flag('rows') ?? process.env.ROWS ?? '10000,100000';
  const list = given.split(',').map((s) => Number(s.trim()));
  if (list.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`Bad row counts: ${given}`);
  return list;
}

async function generate(
  rows: number,
  seed: number,
  dir: string,
): Promise<{ file: string; expect: Expectation }> {
  const file = path.join(dir, `bench-${rows}.csv`);
  const expectFile = `${file}.expect.json`;
  await promisify(execFile)(
    process.execPath,
    [GENERATOR, '--rows', String(rows), '--seed', String(seed), '--out', file, '--expect', expectFile],
    { cwd: ROOT, maxBuffer: 1 << 20 },
  );
  return { file, expect: JSON.parse(readFileSync(expectFile, 'utf8')) as Expectation };
}

async function importThroughApi(
  rows: number,
  file: string,
  env: NodeJS.ProcessEnv,
  db: Db,
): Promise<{ seconds: number; peakRssMb: number; accepted: number; rejected: number }> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const childEnv = { ...env, PORT: String(port) };
  const api = startProcess('src/server.ts', childEnv);
  // WORKER_MAX_HEAP_MB caps the worker's heap: an import that finishes under a small cap shows that its
  // memory does not grow with the file, whatever the RSS high-water mark of an uncapped run says
  const heapCap = process.env.WORKER_MAX_HEAP_MB;
  const worker = startProcess(
    'jobs/worker.ts',
    heapCap ? { ...childEnv, NODE_OPTIONS: `--max-old-space-size=${heapCap}` } : childEnv,
  );
  try {
    await waitReady(base);
    const admin = (await createOperator(db, { role: 'admin', name: '压测管理员' })).token;
    const team = (await call(base, admin, 'POST', '/collection-teams', {
      name: '压测采集队',
      town: '大良街道',
    })) as {
      id: string;
    };
    const collector = (await createOperator(db, { role: 'collector', team: team.id, name: '压测采集员' }))
      .token;
    const today = localDate(new Date());
    const letter = (await call(base, admin, 'POST', `/collection-teams/${team.id}/authorisations`, {
      area: 'ALL',
      validFrom: today < '2026-11-01' ? today : '2026-11-01',
      validUntil: addDays(today > '2026-11-30' ? today : '2026-11-30', 30),
    })) as { authorisationNo: string };

    const form = new FormData();
    form.set('authorisationNo', letter.authorisationNo);
    form.set('file', await openAsBlob(file), path.basename(file));
    const started = performance.now();
    const res = await fetch(`${base}/api/v1/collection-batches`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${collector}` },
      body: form,
    });
    const queued = (await res.json()) as { batchId: string };
    if (res.status !== 202) throw new Error(`upload: ${res.status} ${JSON.stringify(queued)}`);
    for (;;) {
      const batch = (await call(base, collector, 'GET', `/collection-batches/${queued.batchId}`)) as {
        status: string;
        failure?: string;
        accepted: number;
        rejected: number;
      };
      if (batch.status === 'failed') throw new Error(`batch failed: ${batch.failure}`);
      if (batch.status === 'completed') {
        const seconds = (performance.now() - started) / 1000;
        return {
          seconds,
          peakRssMb: peakRssMb(worker.pid!),
          accepted: batch.accepted,
          rejected: batch.rejected,
        };
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await stopProcess(worker);
    await stopProcess(api);
    void rows;
  }
}

/** Plain INSERTs of the parsed rows: the floor an import with checks, encryption and five tables is held to. */
async function baseline(db: Db, file: string): Promise<{ seconds: number; insertSeconds: number }> {
  const keys = Object.values(COLUMNS);
  await db.raw('DROP TABLE IF EXISTS bench_baseline_rows');
  await db.raw(`
    CREATE TABLE bench_baseline_rows (
      id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
      row_no INT UNSIGNED NOT NULL,
      ${keys.map((k) => `\`${k}\` VARCHAR(200) NULL`).join(',\n      ')}
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
  let insertMs = 0;
  const started = performance.now();
  let chunk: Array<Record<string, unknown>> = [];
  const flush = async () => {
    const t = performance.now();
    const rows = chunk;
    chunk = [];
    await db.transaction((trx) => trx('bench_baseline_rows').insert(rows));
    insertMs += performance.now() - t;
  };
  for await (const row of readBatchRows(() => createReadStream(file))) {
    const record: Record<string, unknown> = { row_no: row.row };
    for (const k of keys) record[k] = row.cells[k] === undefined ? null : String(row.cells[k]);
    chunk.push(record);
    if (chunk.length >= BASELINE_CHUNK) await flush();
  }
  if (chunk.length) await flush();
  return { seconds: (performance.now() - started) / 1000, insertSeconds: insertMs / 1000 };
}

function table(results: Result[]): string {
  const head = [
    'rows',
    'import rows/s',
    'baseline rows/s',
    'ratio',
    'worker peak RSS',
    'import s',
    'baseline s',
    'insert-only rows/s',
    'accepted/rejected (expected)',
  ];
  return formatTable(
    head,
    results.map((r) => [
      String(r.rows),
      r.rowsPerSecond.toFixed(0),
      r.baselineRowsPerSecond.toFixed(0),
      (r.rowsPerSecond / r.baselineRowsPerSecond).toFixed(2),
      `${r.peakRssMb.toFixed(0)} MB`,
      r.seconds.toFixed(2),
      r.baselineSeconds.toFixed(2),
      r.insertOnlyRowsPerSecond.toFixed(0),
      `${r.accepted}/${r.rejected} (${r.expected.accepted}/${r.expected.rejected})`,
    ]),
  );
}

async function main(): Promise<void> {
  if (!existsSync(GENERATOR)) {
    throw new Error(
      `bench:import needs the batch generator at ${GENERATOR} (the shared/ folder next to this repository)`,
    );
  }
  const config = loadConfig();
  const url = databaseUrl(config.databaseUrl, DATABASE);
  const seed = Number(flag('seed') ?? 20261203);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'development',
    DATABASE_URL: url,
    QUEUE_PREFIX: PREFIX,
    UPLOAD_DIR,
    LOG_LEVEL: 'warn',
    LOG_FILE: '',
  };
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-import-'));
  const results: Result[] = [];
  try {
    for (const rows of sizes()) {
      console.log(`generating ${rows} rows…`);
      const { file, expect } = await generate(rows, seed + rows, dir);
      rmSync(UPLOAD_DIR, { recursive: true, force: true });
      const db = await freshDatabase(url);
      try {
        await clearQueues(config.redisUrl);
        console.log(`importing ${rows} rows through the API and a worker…`);
        const run = await importThroughApi(rows, file, env, db);
        console.log(`baseline: plain INSERTs of the same ${rows} rows…`);
        const base = await baseline(db, file);
        results.push({
          rows,
          seconds: run.seconds,
          rowsPerSecond: rows / run.seconds,
          baselineSeconds: base.seconds,
          baselineRowsPerSecond: rows / base.seconds,
          insertOnlyRowsPerSecond: rows / base.insertSeconds,
          peakRssMb: run.peakRssMb,
          accepted: run.accepted,
          rejected: run.rejected,
          expected: { accepted: expect.accepted, rejected: expect.rejected },
        });
      } finally {
        await db.destroy();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`\n${table(results)}`);
  console.log(
    '\nimport rows/s: upload to completed, end to end; baseline: the same file parsed and INSERTed raw, 500 rows a statement.',
  );
}

/** Leftovers of an earlier run under the bench prefix would be picked up by the new worker. */
async function clearQueues(redisUrl: string): Promise<void> {
  const { Redis } = await import('ioredis');
  const { createQueues, QUEUE_NAMES } = await import('../src/platform/queue');
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  const queues = createQueues(redis, PREFIX);
  try {
    for (const name of QUEUE_NAMES) await queues.get(name).obliterate({ force: true });
  } finally {
    await queues.close();
    redis.disconnect();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
