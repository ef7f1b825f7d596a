/**
 * `npm run drill` — scripted faults against the running system, each followed by a check of what the
 * database and the queues hold against what the clients were told.
 *
 *   npm run drill                  (all four drills; about 7 minutes on 2 cores)
 *   DRILLS=2,3 npm run drill       (some of them)
 *
 * The drill stops and restarts its servers, so it never touches the MariaDB on 3306 or the Redis on
 * 6379 that other processes share: it installs a MariaDB of its own under var/drill/ and starts it and
 * a Redis (nothing kept on disk) on free ports. Each drill gets a fresh database (citizen_card_drill_<n>)
 * and queue prefix (cc-drill-<n>), and runs the API (src/server.ts) and worker (jobs/worker.ts) as child
 * processes pointed at them:
 *   1. a worker killed with kill -9 during a 20,000-row collection import, then another worker;
 *   2. Redis killed and started again while three collectors upload batches (retrying with the same
 *      Idempotency-Key and file, as their app does) and just after two production runs were accepted;
 *   3. MariaDB stopped (SIGTERM) and started again while counters register residents and apply, and
 *      the call centre reports cards lost that counters then lift (Idempotency-Key on every POST,
 *      retried on 5xx, refused connections and IDEMPOTENCY_IN_PROGRESS);
 *   4. two API processes and two workers: uploads and counter traffic spread over both APIs, imports
 *      and two simultaneous production runs taken by both workers.
 * Afterwards: residents, applications, receipts, cards, loss reports, hotlist entries and audit events
 * counted against the acknowledged writes and the generator's expected reports; nothing twice; no job
 * left active or waiting; no batch or production run left unfinished; no client left without an answer.
 *
 * The table: requests made (every HTTP request the drill's clients sent, polls and retries included),
 * failures seen by clients (refused or cut connections, 5xx, 429 and "still running / retry" 409s),
 * records lost (acknowledged but missing) and records duplicated. It exits 1 when anything was lost,
 * duplicated, left stuck or unanswered. Logs of every process are kept in var/drill/logs/.
 *
 * Needs mariadbd, mariadb-install-db and redis-server (Debian/Ubuntu: apt-get install mariadb-server
 * redis-server; the system services need not run) and ../shared/tools/gen-residents.mjs.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import {
  accessSync,
  closeSync,
  constants,
  createReadStream,
  existsSync,
  mkdirSync,
  openAsBlob,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { isDeepStrictEqual, promisify } from 'node:util';
import { Redis } from 'ioredis';
import type { Knex } from 'knex';
import { readBatchRows } from '../src/components/collection/parsing/reader';
import { createOperator } from '../src/components/operators';
import { idCheckCharacter, normaliseIdNumber } from '../src/components/residents';
import { loadConfig } from '../src/config';
import { addDays, localDate } from '../src/platform/dates';
import { createDb, type Db } from '../src/platform/db';
import { createPiiVault, type PiiVault } from '../src/platform/pii';
import { createQueues, QUEUE_NAMES } from '../src/platform/queue';
import { formatTable, freePort, freshDatabase, ROOT, startProcess, waitReady } from './support';

const DIR = path.join(ROOT, 'var', 'drill');
const LOGS = path.join(DIR, 'logs');
const FILES = path.join(DIR, 'files');
const REGISTRY = path.join(DIR, 'processes.json');
const GENERATOR = path.resolve(ROOT, '..', 'shared', 'tools', 'gen-residents.mjs');

/** How long a counter client keeps retrying one operation before it gives up on it. */
const COUNTER_PATIENCE_MS = 40_000;
/** A collector's app keeps an unacknowledged upload much longer: the file is precious. */
const UPLOAD_PATIENCE_MS = 240_000;

const run = promisify(execFile);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const began = performance.now();

function say(message: string): void {
  const s = ((performance.now() - began) / 1000).toFixed(1).padStart(6);
  console.log(`[${s} s] ${message}`);
}

// ---------------------------------------------------------------------------------------------------
// Processes the drill starts. Each is recorded (pid and kernel start time) in var/drill/processes.json,
// so a drill that was itself killed outright leaves nothing behind after the next run, and the next
// run can never mistake someone else's process (a reused pid) for one of its own.

const running = new Map<ChildProcess, string>();

/** The kernel's start time of a live process (a zombie counts as gone), from /proc. */
function startTimeOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the fields after the command name, which may itself hold spaces: state first, starttime 20th
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[0] === 'Z' ? undefined : fields[19];
  } catch {
    return undefined;
  }
}

interface Recorded {
  pid: number;
  start: string | undefined;
  what: string;
}

function saveRegistry(): void {
  const processes: Recorded[] = [];
  for (const [child, what] of running) {
    if (child.pid !== undefined) processes.push({ pid: child.pid, start: startTimeOf(child.pid), what });
  }
  const owner: Recorded = { pid: process.pid, start: startTimeOf(process.pid), what: 'drill' };
  if (existsSync(DIR)) writeFileSync(REGISTRY, JSON.stringify({ owner, processes }, null, 2));
}

function adopt(child: ChildProcess, what: string): ChildProcess {
  running.set(child, what);
  child.once('exit', () => {
    running.delete(child);
    saveRegistry();
  });
  saveRegistry();
  return child;
}

async function reapLeftovers(): Promise<void> {
  if (!existsSync(REGISTRY)) return;
  let saved: { owner?: Recorded; processes?: Recorded[] };
  try {
    saved = JSON.parse(readFileSync(REGISTRY, 'utf8')) as typeof saved;
  } catch {
    return;
  }
  const owner = saved.owner;
  if (owner && owner.pid !== process.pid && owner.start && startTimeOf(owner.pid) === owner.start) {
    throw new Error(`another drill is running (pid ${owner.pid}); let it finish first`);
  }
  for (const p of saved.processes ?? []) {
    if (!p.start || startTimeOf(p.pid) !== p.start) continue;
    say(`stopping ${p.what} (pid ${p.pid}), left running by an earlier drill that did not finish`);
    process.kill(p.pid, 'SIGKILL');
    for (let i = 0; i < 100 && startTimeOf(p.pid) === p.start; i++) await sleep(100);
  }
}

function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function whenExited(child: ChildProcess): Promise<void> {
  if (hasExited(child)) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Sends `signal`, and SIGKILL when the process is still there after `graceMs`. */
async function terminate(child: ChildProcess, signal: NodeJS.Signals, graceMs = 15_000): Promise<void> {
  if (hasExited(child)) return;
  const exited = whenExited(child);
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

async function stopEverything(): Promise<void> {
  await Promise.all(
    [...running].map(([child, what]) => terminate(child, what === 'redis-server' ? 'SIGKILL' : 'SIGTERM')),
  );
}

// ---------------------------------------------------------------------------------------------------
// The private MariaDB and Redis.

interface Binaries {
  mariadbd: string;
  installDb: string;
  redisServer: string;
}

function findBinary(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/local/sbin', '/usr/bin'];
  for (const dir of dirs.filter(Boolean)) {
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this folder
    }
  }
  return undefined;
}

function findBinaries(): Binaries | { missing: string[] } {
  const mariadbd = findBinary('mariadbd');
  const installDb = findBinary('mariadb-install-db');
  const redisServer = findBinary('redis-server');
  if (mariadbd && installDb && redisServer) return { mariadbd, installDb, redisServer };
  return {
    missing: [
      ...(mariadbd ? [] : ['mariadbd']),
      ...(installDb ? [] : ['mariadb-install-db']),
      ...(redisServer ? [] : ['redis-server']),
    ],
  };
}

function portAnswers(port: number, probe?: { send: string; expect: string }): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => {
      if (!probe) return done(true);
      socket.write(probe.send);
    });
    socket.on('data', (d: Buffer) => done(!probe || d.toString().startsWith(probe.expect)));
  });
}

function logFile(name: string): number {
  return openSync(path.join(LOGS, name), 'a');
}

class PrivateMariaDb {
  private child: ChildProcess | undefined;
  private readonly datadir = path.join(DIR, 'mysql');
  private readonly user = userInfo().username;
  // a unix socket path has a hard limit of about 107 bytes
  private readonly socket =
    path.join(DIR, 'mysqld.sock').length < 100
      ? path.join(DIR, 'mysqld.sock')
      : path.join(tmpdir(), `drill-mysqld-${process.pid}.sock`);

  constructor(
    private readonly bins: Binaries,
    readonly port: number,
  ) {}

  url(database = ''): string {
    return `mysql://root@127.0.0.1:${this.port}/${database}`;
  }

  async install(): Promise<void> {
    const log = path.join(LOGS, 'mariadb-install-db.log');
    try {
      const out = await run(
        this.bins.installDb,
        [
          '--no-defaults',
          `--datadir=${this.datadir}`,
          `--user=${this.user}`,
          '--auth-root-authentication-method=normal',
          '--skip-test-db',
        ],
        { cwd: DIR, maxBuffer: 1 << 22 },
      );
      writeFileSync(log, out.stdout + out.stderr);
    } catch (err) {
      throw new Error(`mariadb-install-db failed: ${(err as Error).message}`, { cause: err });
    }
  }

  async start(): Promise<void> {
    const out = logFile('mariadbd.out');
    const child = spawn(
      this.bins.mariadbd,
      [
        '--no-defaults',
        `--datadir=${this.datadir}`,
        `--socket=${this.socket}`,
        `--port=${this.port}`,
        '--bind-address=127.0.0.1',
        `--pid-file=${path.join(DIR, 'mysqld.pid')}`,
        `--log-error=${path.join(LOGS, 'mariadb.log')}`,
        // mariadbd refuses to run as root unless told to; elsewhere this is the calling user anyway
        `--user=${this.user}`,
        '--innodb-buffer-pool-size=256M',
        '--max-connections=400',
      ],
      { cwd: DIR, stdio: ['ignore', out, out] },
    );
    closeSync(out);
    this.child = adopt(child, 'mariadbd');
    const until = Date.now() + 60_000;
    for (;;) {
      if (hasExited(child)) throw new Error('mariadbd exited at start; see var/drill/logs/mariadb.log');
      if (await portAnswers(this.port)) {
        const db = createDb(this.url(), 1);
        try {
          await db.raw('SELECT 1');
          return;
        } catch {
          // listening but still starting up
        } finally {
          await db.destroy();
        }
      }
      if (Date.now() > until) throw new Error('mariadbd did not accept connections within 60 s');
      await sleep(200);
    }
  }

  /** SIGTERM: the clean shutdown a service manager does on a restart. */
  async stop(): Promise<void> {
    if (this.child) await terminate(this.child, 'SIGTERM', 60_000);
  }
}

class PrivateRedis {
  private child: ChildProcess | undefined;
  private readonly dir = path.join(DIR, 'redis');

  constructor(
    private readonly bin: string,
    readonly port: number,
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}/0`;
  }

  async start(): Promise<void> {
    mkdirSync(this.dir, { recursive: true });
    const out = logFile('redis.log');
    const child = spawn(
      this.bin,
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--daemonize',
        'no',
        '--dir',
        this.dir,
      ],
      { cwd: this.dir, stdio: ['ignore', out, out] },
    );
    closeSync(out);
    this.child = adopt(child, 'redis-server');
    for (let i = 0; ; i++) {
      if (hasExited(child)) throw new Error('redis-server exited at start; see var/drill/logs/redis.log');
      if (await portAnswers(this.port, { send: 'PING\r\n', expect: '+PONG' })) return;
      if (i > 150) throw new Error('redis-server did not answer within 30 s');
      await sleep(200);
    }
  }

  /** SIGKILL: Redis goes away as in a crash, and keeps nothing (no RDB, no AOF). */
  async kill(): Promise<void> {
    if (this.child) await terminate(this.child, 'SIGKILL');
  }
}

interface Rig {
  mysql: PrivateMariaDb;
  redis: PrivateRedis;
}

/** One drill's database, queue prefix and the environment of the processes it starts. */
interface System {
  n: number;
  url: string;
  db: Db;
  prefix: string;
  redisUrl: string;
  env: NodeJS.ProcessEnv;
  vault: PiiVault;
  children: ChildProcess[];
}

async function openDrill(rig: Rig, n: number): Promise<System> {
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

async function closeDrill(sys: System): Promise<void> {
  // workers first: an API stopping under a worker's feet changes nothing, the reverse may
  for (const child of [...sys.children].reverse()) await terminate(child, 'SIGTERM');
  await sys.db.destroy();
}

async function startApi(sys: System, label: string): Promise<string> {
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

function startWorker(sys: System, label: string): ChildProcess {
  const child = startProcess('jobs/worker.ts', { ...sys.env, LOG_FILE: path.join(LOGS, `${label}.log`) });
  sys.children.push(adopt(child, label));
  return child;
}

// ---------------------------------------------------------------------------------------------------
// Clients: every request counted, retried the way a careful client retries.

interface Counters {
  requests: number;
  failures: number;
}

interface Reply {
  status: number;
  code: string | undefined;
  body: Record<string, unknown>;
}

interface ApiRequest {
  method: 'GET' | 'POST';
  url: string;
  token: string;
  json?: unknown;
  upload?: { authorisationNo: string; file: string };
  key?: string;
}

/** Answers that say "not now": the same request again later may succeed. */
function transient(r: Reply): boolean {
  return (
    r.status === 0 ||
    r.status >= 500 ||
    r.status === 429 ||
    (r.status === 409 && (r.code === 'IDEMPOTENCY_IN_PROGRESS' || r.code === 'CONCURRENT_UPDATE'))
  );
}

function describe(r: Reply): string {
  return r.status === 0 ? `no answer (${String(r.body.detail)})` : `${r.status} ${r.code ?? ''}`.trim();
}

let turn = 0;

async function send(c: Counters, bases: readonly string[], req: ApiRequest): Promise<Reply> {
  // several API processes: each attempt goes to the next one, as a round-robin balancer would send it
  const base = bases[turn++ % bases.length]!;
  c.requests += 1;
  let reply: Reply;
  try {
    const headers: Record<string, string> = { Authorization: `Bearer ${req.token}` };
    if (req.key) headers['Idempotency-Key'] = req.key;
    let body: string | FormData | undefined;
    if (req.upload) {
      // a new form each attempt: a body that was sent cannot be sent again
      const form = new FormData();
      form.set('authorisationNo', req.upload.authorisationNo);
      form.set('file', await openAsBlob(req.upload.file), path.basename(req.upload.file));
      body = form;
    } else if (req.json !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(req.json);
    }
    const res = await fetch(`${base}/api/v1${req.url}`, {
      method: req.method,
      headers,
      body,
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : {};
    } catch {
      parsed = { detail: text.slice(0, 200) };
    }
    const json = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<string, unknown>;
    reply = { status: res.status, code: typeof json.code === 'string' ? json.code : undefined, body: json };
  } catch (err) {
    reply = { status: 0, code: 'NO_ANSWER', body: { detail: (err as Error).message } };
  }
  if (transient(reply)) c.failures += 1;
  return reply;
}

type Outcome = ({ settled: true; reply: Reply } | { settled: false; last: Reply }) & { attempts: number };

/** The same request (same key, same body) again after a growing pause while the answer is "not now". */
async function persist(
  c: Counters,
  bases: readonly string[],
  req: ApiRequest,
  patienceMs: number,
): Promise<Outcome> {
  const until = Date.now() + patienceMs;
  let pause = 250;
  for (let attempts = 1; ; attempts++) {
    const reply = await send(c, bases, req);
    if (!transient(reply)) return { settled: true, reply, attempts };
    if (Date.now() + pause > until) return { settled: false, last: reply, attempts };
    await sleep(pause);
    pause = Math.min(pause * 2, 2000);
  }
}

/** For the drill's own set-up and polling: anything but the expected answer stops the drill. */
async function must<T>(
  c: Counters,
  bases: readonly string[],
  req: ApiRequest,
  statuses: readonly number[] = [200, 201, 202],
): Promise<T> {
  const out = await persist(c, bases, req, 60_000);
  const reply = out.settled ? out.reply : out.last;
  if (!out.settled || !statuses.includes(reply.status)) {
    throw new Error(`${req.method} ${req.url}: ${describe(reply)} ${JSON.stringify(reply.body)}`);
  }
  return reply.body as T;
}

// ---------------------------------------------------------------------------------------------------
// Findings.

class Findings {
  lost = 0;
  duplicated = 0;
  readonly problems: string[] = [];
  readonly notes: string[] = [];

  /** Exactly `expected` records: fewer were lost, more were made twice. */
  count(label: string, actual: number, expected: number): void {
    this.between(label, actual, expected, expected);
  }

  /** Between `min` (what was acknowledged) and `max` (plus what may have been written unacknowledged). */
  between(label: string, actual: number, min: number, max: number): void {
    const wanted = min === max ? String(min) : `${min}–${max}`;
    if (actual < min) {
      this.lost += min - actual;
      this.problems.push(`${label}: ${actual}, expected ${wanted} (${min - actual} lost)`);
    } else if (actual > max) {
      this.duplicated += actual - max;
      this.problems.push(`${label}: ${actual}, expected ${wanted} (${actual - max} too many)`);
    }
  }

  /** Each of `values` must be counted once in `counts`. */
  eachOnce(label: string, values: readonly string[], counts: Map<string, number>): void {
    const missing = values.filter((v) => !counts.get(v));
    const twice = values.filter((v) => (counts.get(v) ?? 0) > 1);
    if (missing.length) {
      this.lost += missing.length;
      this.problems.push(
        `${label}: ${missing.length} of ${values.length} missing (${missing.slice(0, 3).join(', ')})`,
      );
    }
    if (twice.length) {
      this.duplicated += twice.reduce((s, v) => s + counts.get(v)! - 1, 0);
      this.problems.push(
        `${label}: ${twice.length} present more than once (${twice.slice(0, 3).join(', ')})`,
      );
    }
  }

  problem(message: string): void {
    this.problems.push(message);
  }

  note(message: string): void {
    this.notes.push(message);
  }
}

async function scalar(db: Db, sql: string, bindings: readonly Knex.RawBinding[] = []): Promise<number> {
  const [rows] = (await db.raw(sql, bindings)) as [Array<{ n: number | string | null }>];
  return Number(rows[0]?.n ?? 0);
}

/** COUNT(*) per value of `column` among `values` (1,000 at a time). */
async function countsOf(
  db: Db,
  table: string,
  column: string,
  values: readonly string[],
  where: Record<string, string> = {},
): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (let i = 0; i < values.length; i += 1000) {
    const rows = (await db(table)
      .where(where)
      .whereIn(column, values.slice(i, i + 1000))
      .groupBy(column)
      .select({ k: column })
      .count({ n: '*' })) as Array<{ k: string; n: number | string }>;
    for (const r of rows) counts.set(String(r.k), Number(r.n));
  }
  return counts;
}

/** How many residents have one of these identity-number hashes. */
async function residentsWithHashes(db: Db, hashes: readonly Buffer[]): Promise<number> {
  let found = 0;
  for (let i = 0; i < hashes.length; i += 1000) {
    const [row] = (await db('residents')
      .whereIn('id_number_hash', hashes.slice(i, i + 1000))
      .count({ n: '*' })) as Array<{ n: number | string }>;
    found += Number(row?.n ?? 0);
  }
  return found;
}

/**
 * Nothing stuck: no job active (a job that stays active over ten seconds has lost its worker), no
 * import or production job left waiting, no batch or production run left unfinished in MySQL.
 */
async function checkNothingStuck(sys: System, f: Findings, label: string): Promise<void> {
  const connection = new Redis(sys.redisUrl, { maxRetriesPerRequest: 3 });
  const queues = createQueues(connection, sys.prefix);
  try {
    for (const name of QUEUE_NAMES) {
      const queue = queues.get(name);
      let active = (await queue.getActive()).map((j) => j.id ?? '');
      for (let i = 0; active.length && i < 10; i++) {
        await sleep(1000);
        const still = new Set((await queue.getActive()).map((j) => j.id ?? ''));
        active = active.filter((id) => still.has(id));
      }
      if (active.length) f.problem(`${label}: ${name} job(s) stuck active: ${active.join(', ')}`);
      if (name === 'collection' || name === 'production') {
        const counts = await queue.getJobCounts('waiting', 'prioritized', 'delayed');
        const left = Object.values(counts).reduce((s, n) => s + n, 0);
        if (left) f.problem(`${label}: ${left} ${name} job(s) left waiting: ${JSON.stringify(counts)}`);
      }
    }
  } finally {
    await queues.close();
    connection.disconnect();
  }
  const batches = (await sys
    .db('collection_batches')
    .whereIn('status', ['queued', 'processing'])
    .select('public_id', 'status', 'updated_at')) as Array<{
    public_id: string;
    status: string;
    updated_at: Date;
  }>;
  for (const b of batches) {
    f.problem(`${label}: batch ${b.public_id} left ${b.status} (last change ${b.updated_at.toISOString()})`);
  }
  const runs = (await sys
    .db('production_runs')
    .whereIn('status', ['queued', 'processing'])
    .select('run_id', 'status', 'produced', 'started_at', 'created_at')) as Array<{
    run_id: string;
    status: string;
    produced: number;
    started_at: Date | null;
    created_at: Date;
  }>;
  for (const r of runs) {
    f.problem(
      `${label}: production run ${r.run_id} (accepted with 202 at ${r.created_at.toISOString()}) left ` +
        `${r.status}, ${r.produced} cards, ${r.started_at ? `started ${r.started_at.toISOString()}` : 'never started'}`,
    );
  }
}

// ---------------------------------------------------------------------------------------------------
// Collection batches.

interface Expected {
  rows: number;
  accepted: number;
  rejected: number;
  byReason: Record<string, number>;
  rejectedRows: Array<{ row: number; recordNo: string; reason: string }>;
}

interface BatchFile {
  file: string;
  expect: Expected;
}

interface BatchView {
  batchId: string;
  status: 'queued' | 'processing' | 'completed' | 'failed';
  failure?: string;
  progress: { done: number; total: number | null };
  accepted: number;
  rejected: number;
  byReason: Record<string, number>;
}

interface Letter {
  admin: string;
  authorisationNo: string;
  collectors: string[];
}

/** Its people are new to a fresh database as long as the seed is not used twice in one drill. */
async function generate(rows: number, seed: number): Promise<BatchFile> {
  mkdirSync(FILES, { recursive: true });
  const file = path.join(FILES, `batch-${rows}-${seed}.csv`);
  const expectFile = `${file}.expect.json`;
  await run(
    process.execPath,
    [GENERATOR, '--rows', String(rows), '--seed', String(seed), '--out', file, '--expect', expectFile],
    { cwd: ROOT, maxBuffer: 1 << 20 },
  );
  return { file, expect: JSON.parse(readFileSync(expectFile, 'utf8')) as Expected };
}

/** A team, its collectors and a letter valid today that covers the generator's collection dates. */
async function collectionSetup(
  c: Counters,
  bases: readonly string[],
  db: Db,
  collectors: number,
): Promise<Letter> {
  const admin = (await createOperator(db, { role: 'admin', name: '演练管理员' })).token;
  const team = await must<{ id: string }>(c, bases, {
    method: 'POST',
    url: '/collection-teams',
    token: admin,
    json: { name: '演练采集队', town: '大良街道' },
  });
  const today = localDate(new Date());
  const letter = await must<{ authorisationNo: string }>(c, bases, {
    method: 'POST',
    url: `/collection-teams/${team.id}/authorisations`,
    token: admin,
    json: {
      area: 'ALL',
      validFrom: today < '2026-11-01' ? today : '2026-11-01',
      validUntil: addDays(today > '2026-11-30' ? today : '2026-11-30', 30),
    },
  });
  const tokens: string[] = [];
  for (let i = 0; i < collectors; i++) {
    tokens.push(
      (await createOperator(db, { role: 'collector', team: team.id, name: `演练采集员${i + 1}` })).token,
    );
  }
  return { admin, authorisationNo: letter.authorisationNo, collectors: tokens };
}

function uploadRequest(token: string, letter: Letter, bf: BatchFile, key: string): ApiRequest {
  return {
    method: 'POST',
    url: '/collection-batches',
    token,
    key,
    upload: { authorisationNo: letter.authorisationNo, file: bf.file },
  };
}

function batchOf(c: Counters, bases: readonly string[], token: string, id: string): Promise<BatchView> {
  return must<BatchView>(c, bases, { method: 'GET', url: `/collection-batches/${id}`, token });
}

/** Polls until every batch has completed or failed, or the deadline passes. */
async function settleBatches(
  c: Counters,
  bases: readonly string[],
  token: string,
  ids: readonly string[],
  deadline: number,
): Promise<Map<string, BatchView>> {
  const last = new Map<string, BatchView>();
  const finished = (id: string) => ['completed', 'failed'].includes(last.get(id)?.status ?? '');
  for (;;) {
    for (const id of ids) if (!finished(id)) last.set(id, await batchOf(c, bases, token, id));
    if (ids.every(finished) || Date.now() > deadline) return last;
    await sleep(500);
  }
}

async function reportOf(
  c: Counters,
  bases: readonly string[],
  token: string,
  batch: BatchView,
): Promise<Omit<Expected, 'rows'>> {
  const rejectedRows: Expected['rejectedRows'] = [];
  for (let cursor: string | null = null; ;) {
    const page: {
      items: Array<{ row: number; recordNo: string; reasons: string[] }>;
      nextCursor: string | null;
    } = await must(c, bases, {
      method: 'GET',
      url: `/collection-batches/${batch.batchId}/rejections?limit=200${cursor ? `&cursor=${cursor}` : ''}`,
      token,
    });
    for (const r of page.items)
      rejectedRows.push({ row: r.row, recordNo: r.recordNo, reason: r.reasons.join('+') });
    cursor = page.nextCursor;
    if (!cursor) break;
  }
  return { accepted: batch.accepted, rejected: batch.rejected, byReason: batch.byReason, rejectedRows };
}

/** The identity-number hashes of the rows the generator says are accepted. */
async function acceptedHashes(bf: BatchFile, vault: PiiVault): Promise<Buffer[]> {
  const rejected = new Set(bf.expect.rejectedRows.map((r) => r.row));
  const hashes: Buffer[] = [];
  for await (const row of readBatchRows(() => createReadStream(bf.file))) {
    if (!rejected.has(row.row)) hashes.push(vault.lookupHash(normaliseIdNumber(String(row.cells.idNumber))));
  }
  return hashes;
}

/**
 * One batch against its file: completed, the report the generator expects (through the API), and in
 * the tables every accepted row once — its resident, application, receipt and audit events — every
 * rejected row once, and the batch's own audit trail once.
 */
async function checkBatch(
  sys: System,
  f: Findings,
  label: string,
  c: Counters,
  bases: readonly string[],
  token: string,
  batch: BatchView,
  bf: BatchFile,
): Promise<void> {
  const { accepted, rejected, rows } = bf.expect;
  if (batch.status !== 'completed') {
    f.problem(
      `${label}: batch ${batch.batchId} ended ${batch.status}${batch.failure ? ` (${batch.failure})` : ''}`,
    );
  }
  if (batch.progress.done !== rows || batch.progress.total !== rows) {
    f.problem(`${label}: progress ${batch.progress.done}/${batch.progress.total}, expected ${rows}/${rows}`);
  }
  const report = await reportOf(c, bases, token, batch);
  const { rows: _rows, ...expected } = bf.expect;
  if (!isDeepStrictEqual(report, expected)) {
    f.problem(
      `${label}: report ${report.accepted} accepted / ${report.rejected} rejected differs from the generator's ` +
        `${accepted}/${rejected} (or its reasons or rejected rows do)`,
    );
  }
  const row = (await sys.db('collection_batches').where('public_id', batch.batchId).first('id')) as
    { id: number | string } | undefined;
  if (!row) {
    f.count(`${label}: batch rows`, 0, 1);
    return;
  }
  const id = Number(row.id);
  const db = sys.db;
  f.count(
    `${label}: applications`,
    await scalar(db, 'SELECT COUNT(*) AS n FROM applications WHERE batch_id = ?', [id]),
    accepted,
  );
  f.count(
    `${label}: residents applied for`,
    await scalar(db, 'SELECT COUNT(DISTINCT resident_id) AS n FROM applications WHERE batch_id = ?', [id]),
    accepted,
  );
  f.count(
    `${label}: receipts`,
    await scalar(
      db,
      'SELECT COUNT(*) AS n FROM receipts r JOIN applications a ON a.id = r.application_id WHERE a.batch_id = ?',
      [id],
    ),
    accepted,
  );
  f.count(
    `${label}: rejections`,
    await scalar(db, 'SELECT COUNT(*) AS n FROM collection_batch_rejections WHERE batch_id = ?', [id]),
    rejected,
  );
  const requestId = `batch:${batch.batchId}`;
  const audits = (action: string) =>
    scalar(db, 'SELECT COUNT(*) AS n FROM audit_events WHERE action = ? AND request_id = ?', [
      action,
      requestId,
    ]);
  f.count(`${label}: audit application.submitted`, await audits('application.submitted'), accepted);
  f.count(
    `${label}: audit resident.registered/updated`,
    (await audits('resident.registered')) + (await audits('resident.updated')),
    accepted,
  );
  for (const action of ['batch.uploaded', 'batch.started', 'batch.completed']) {
    f.count(
      `${label}: audit ${action}`,
      await scalar(db, 'SELECT COUNT(*) AS n FROM audit_events WHERE action = ? AND entity_id = ?', [
        action,
        batch.batchId,
      ]),
      1,
    );
  }
  f.count(
    `${label}: residents of accepted rows`,
    await residentsWithHashes(db, await acceptedHashes(bf, sys.vault)),
    accepted,
  );
}

// ---------------------------------------------------------------------------------------------------
// Counter work.

interface Person {
  idNumber: string;
  name: string;
  phone: string;
}

let people = 0;

/** Region 440699 is one the generator never uses, so counter people and batch people never meet. */
function newPerson(): Person {
  const n = people++;
  const birth = addDays('1950-01-01', n % 15000).replaceAll('-', '');
  const first17 = `440699${birth}${String(Math.floor(n / 15000) * 2 + 1).padStart(3, '0')}`;
  return {
    idNumber: first17 + idCheckCharacter(first17),
    name: '梁嘉欣',
    phone: `139${String(n).padStart(8, '0')}`,
  };
}

interface CounterLog {
  residents: Array<{ residentId: string; person: Person }>;
  applications: Array<{ residentId: string; applicationNo: string; receiptNo: string }>;
  unresolvedRegistrations: number;
  unresolvedApplications: number;
  unanswered: string[];
  unexpected: string[];
}

function counterLog(): CounterLog {
  return {
    residents: [],
    applications: [],
    unresolvedRegistrations: 0,
    unresolvedApplications: 0,
    unanswered: [],
    unexpected: [],
  };
}

/** A walk-in: register the resident, then apply for a named C card, each with its own Idempotency-Key. */
async function registerAndApply(
  c: Counters,
  bases: readonly string[],
  token: string,
  log: CounterLog,
  key: string,
): Promise<void> {
  const person = newPerson();
  const reg = await persist(
    c,
    bases,
    {
      method: 'POST',
      url: '/residents',
      token,
      key: `${key}-resident`,
      json: { idNumber: person.idNumber, name: person.name, phone: person.phone, town: '大良街道' },
    },
    COUNTER_PATIENCE_MS,
  );
  if (!reg.settled) {
    log.unresolvedRegistrations += 1;
    log.unanswered.push(`POST /residents (${key}): last ${describe(reg.last)}`);
    return;
  }
  if (reg.reply.status !== 201 && reg.reply.status !== 200) {
    log.unexpected.push(`POST /residents (${key}): ${describe(reg.reply)}`);
    return;
  }
  const residentId = reg.reply.body.id as string;
  log.residents.push({ residentId, person });
  const app = await persist(
    c,
    bases,
    {
      method: 'POST',
      url: '/applications',
      token,
      key: `${key}-apply`,
      json: { residentId, cardType: 'C_NAMED', centre: 'DL' },
    },
    COUNTER_PATIENCE_MS,
  );
  if (!app.settled) {
    log.unresolvedApplications += 1;
    log.unanswered.push(`POST /applications (${key}): last ${describe(app.last)}`);
    return;
  }
  if (app.reply.status !== 201) {
    log.unexpected.push(`POST /applications (${key}): ${describe(app.reply)}`);
    return;
  }
  const body = app.reply.body as { applicationNo: string; receipt: { receiptNo: string } };
  log.applications.push({ residentId, applicationNo: body.applicationNo, receiptNo: body.receipt.receiptNo });
}

/**
 * Every acknowledged resident and application is there once, with its receipt and audit event; no
 * resident has two applications; the totals lie between what was acknowledged and that plus what was
 * sent but never answered (such a write may or may not have committed).
 */
async function checkCounterLog(
  sys: System,
  f: Findings,
  label: string,
  log: CounterLog,
  others: { residents: number; applications: number },
): Promise<void> {
  const db = sys.db;
  const residentIds = log.residents.map((r) => r.residentId);
  f.eachOnce(
    `${label}: acknowledged residents`,
    residentIds,
    await countsOf(db, 'residents', 'public_id', residentIds),
  );
  f.count(
    `${label}: acknowledged residents by identity number`,
    await residentsWithHashes(
      db,
      log.residents.map((r) => sys.vault.lookupHash(r.person.idNumber)),
    ),
    log.residents.length,
  );
  f.eachOnce(
    `${label}: audit resident.registered`,
    residentIds,
    await countsOf(db, 'audit_events', 'entity_id', residentIds, { action: 'resident.registered' }),
  );
  const appNos = log.applications.map((a) => a.applicationNo);
  f.eachOnce(
    `${label}: acknowledged applications`,
    appNos,
    await countsOf(db, 'applications', 'application_no', appNos),
  );
  const receiptNos = log.applications.map((a) => a.receiptNo);
  f.eachOnce(
    `${label}: acknowledged receipts`,
    receiptNos,
    await countsOf(db, 'receipts', 'receipt_no', receiptNos),
  );
  f.eachOnce(
    `${label}: audit application.submitted`,
    appNos,
    await countsOf(db, 'audit_events', 'entity_id', appNos, { action: 'application.submitted' }),
  );
  let twice = 0;
  for (let i = 0; i < residentIds.length; i += 1000) {
    const rows = (await db('residents as r')
      .join('applications as a', 'a.resident_id', 'r.id')
      .whereIn('r.public_id', residentIds.slice(i, i + 1000))
      .groupBy('r.id')
      .select('r.id')
      .count({ n: '*' })) as Array<{ n: number | string }>;
    twice += rows.reduce((s, r) => s + Math.max(0, Number(r.n) - 1), 0);
  }
  f.count(`${label}: applications beyond one per resident`, twice, 0);
  const [residents, applications, receiptsMissing] = [
    await scalar(db, 'SELECT COUNT(*) AS n FROM residents'),
    await scalar(db, 'SELECT COUNT(*) AS n FROM applications WHERE batch_id IS NULL'),
    await scalar(
      db,
      'SELECT COUNT(*) AS n FROM applications a LEFT JOIN receipts r ON r.application_id = a.id WHERE r.receipt_no IS NULL',
    ),
  ];
  f.between(
    `${label}: residents in all`,
    residents,
    others.residents + log.residents.length,
    others.residents + log.residents.length + log.unresolvedRegistrations,
  );
  f.between(
    `${label}: counter applications in all`,
    applications,
    others.applications + log.applications.length,
    others.applications + log.applications.length + log.unresolvedApplications,
  );
  f.count(`${label}: applications without a receipt`, receiptsMissing, 0);
  for (const u of log.unanswered.slice(0, 5))
    f.problem(`${label}: never answered within ${COUNTER_PATIENCE_MS / 1000} s: ${u}`);
  if (log.unanswered.length > 5) f.problem(`${label}: … ${log.unanswered.length - 5} more never answered`);
  for (const u of log.unexpected.slice(0, 5)) f.problem(`${label}: unexpected answer: ${u}`);
  if (log.unexpected.length > 5)
    f.problem(`${label}: … ${log.unexpected.length - 5} more unexpected answers`);
}

interface Holder {
  person: Person;
  cardNo: string;
  reports: string[];
  lifts: number;
  unresolvedReports: number;
  unresolvedLifts: number;
  halted?: string;
}

/** Collected named cards to report lost: registered, applied for, produced and picked up. */
async function issueCards(
  c: Counters,
  bases: readonly string[],
  counter: string,
  admin: string,
  n: number,
): Promise<Holder[]> {
  const pending: Array<{ person: Person; receiptNo: string }> = [];
  for (let i = 0; i < n; i++) {
    const person = newPerson();
    const r = await must<{ id: string }>(c, bases, {
      method: 'POST',
      url: '/residents',
      token: counter,
      json: { idNumber: person.idNumber, name: person.name, phone: person.phone, town: '大良街道' },
    });
    const a = await must<{ receipt: { receiptNo: string } }>(c, bases, {
      method: 'POST',
      url: '/applications',
      token: counter,
      json: { residentId: r.id, cardType: 'C_NAMED', centre: 'DL' },
    });
    pending.push({ person, receiptNo: a.receipt.receiptNo });
  }
  const started = await must<{ runId: string }>(c, bases, {
    method: 'POST',
    url: '/production-runs',
    token: admin,
    json: {},
  });
  await settleRuns(c, bases, admin, [started.runId], Date.now() + 60_000);
  const holders: Holder[] = [];
  for (const p of pending) {
    const picked = await must<{ card: { cardNo: string } }>(c, bases, {
      method: 'POST',
      url: '/pickups',
      token: counter,
      json: { receiptNo: p.receiptNo, idNumber: p.person.idNumber },
    });
    holders.push({
      person: p.person,
      cardNo: picked.card.cardNo,
      reports: [],
      lifts: 0,
      unresolvedReports: 0,
      unresolvedLifts: 0,
    });
  }
  return holders;
}

/** The holder phones the call centre (temporary report), then finds the card and has it lifted at a counter. */
async function lossAndLift(
  c: Counters,
  bases: readonly string[],
  callCentre: string,
  counter: string,
  h: Holder,
  i: number,
): Promise<void> {
  const report = await persist(
    c,
    bases,
    {
      method: 'POST',
      url: `/cards/${h.cardNo}/loss-reports`,
      token: callCentre,
      key: `loss-${h.cardNo}-${i}`,
      json: { kind: 'temporary', verification: { name: h.person.name, idNumber: h.person.idNumber } },
    },
    COUNTER_PATIENCE_MS,
  );
  if (!report.settled) {
    h.unresolvedReports += 1;
    h.halted = `loss report ${i} never answered within ${COUNTER_PATIENCE_MS / 1000} s: last ${describe(report.last)}`;
    return;
  }
  if (report.reply.status !== 201) {
    h.halted = `loss report ${i}: unexpected ${describe(report.reply)}`;
    return;
  }
  h.reports.push(report.reply.body.reportId as string);
  const lift = await persist(
    c,
    bases,
    {
      method: 'POST',
      url: `/cards/${h.cardNo}/lift-loss`,
      token: counter,
      key: `lift-${h.cardNo}-${i}`,
      json: { verification: { idNumber: h.person.idNumber } },
    },
    COUNTER_PATIENCE_MS,
  );
  if (!lift.settled) {
    h.unresolvedLifts += 1;
    h.halted = `lift ${i} never answered within ${COUNTER_PATIENCE_MS / 1000} s: last ${describe(lift.last)}`;
    return;
  }
  if (lift.reply.status !== 200) {
    h.halted = `lift ${i}: unexpected ${describe(lift.reply)}`;
    return;
  }
  h.lifts += 1;
}

/** Per card: reports and lifts as acknowledged, one audit event each, one hotlist entry per change. */
async function checkHolders(
  sys: System,
  f: Findings,
  label: string,
  holders: readonly Holder[],
): Promise<void> {
  const db = sys.db;
  const reportIds = holders.flatMap((h) => h.reports);
  f.eachOnce(
    `${label}: acknowledged loss reports`,
    reportIds,
    await countsOf(db, 'loss_reports', 'report_id', reportIds),
  );
  for (const h of holders) {
    const reports = await scalar(
      db,
      "SELECT COUNT(*) AS n FROM loss_reports l JOIN cards c ON c.id = l.card_id WHERE c.card_no = ? AND l.kind = 'temporary'",
      [h.cardNo],
    );
    const lifted = await scalar(
      db,
      "SELECT COUNT(*) AS n FROM loss_reports l JOIN cards c ON c.id = l.card_id WHERE c.card_no = ? AND l.status = 'lifted'",
      [h.cardNo],
    );
    const audit = (action: string) =>
      scalar(db, 'SELECT COUNT(*) AS n FROM audit_events WHERE action = ? AND entity_id = ?', [
        action,
        h.cardNo,
      ]);
    f.between(
      `${label}: card ${h.cardNo} temporary reports`,
      reports,
      h.reports.length,
      h.reports.length + h.unresolvedReports,
    );
    f.between(`${label}: card ${h.cardNo} lifts`, lifted, h.lifts, h.lifts + h.unresolvedLifts);
    f.count(
      `${label}: card ${h.cardNo} audit card.reported_temporary`,
      await audit('card.reported_temporary'),
      reports,
    );
    f.count(`${label}: card ${h.cardNo} audit card.loss_lifted`, await audit('card.loss_lifted'), lifted);
    // collected, then one entry per report and per lift
    f.count(
      `${label}: card ${h.cardNo} hotlist entries`,
      await scalar(db, 'SELECT COUNT(*) AS n FROM hotlist WHERE card_no = ?', [h.cardNo]),
      1 + reports + lifted,
    );
    if (h.halted) f.problem(`${label}: card ${h.cardNo}: ${h.halted}`);
  }
}

// ---------------------------------------------------------------------------------------------------
// Production runs.

interface RunView {
  runId: string;
  status: string;
  produced: number;
}

async function settleRuns(
  c: Counters,
  bases: readonly string[],
  admin: string,
  ids: readonly string[],
  deadline: number,
): Promise<Map<string, RunView>> {
  const last = new Map<string, RunView>();
  const finished = (id: string) => ['completed', 'failed'].includes(last.get(id)?.status ?? '');
  for (;;) {
    for (const id of ids) {
      if (!finished(id))
        last.set(
          id,
          await must<RunView>(c, bases, { method: 'GET', url: `/production-runs/${id}`, token: admin }),
        );
    }
    if (ids.every(finished) || Date.now() > deadline) return last;
    await sleep(500);
  }
}

/** Every card made once: runs' counts, cards, ready applications and audit events agree. */
async function checkProduction(
  sys: System,
  f: Findings,
  label: string,
  runs: Map<string, RunView>,
): Promise<void> {
  const db = sys.db;
  const cards = await scalar(
    db,
    "SELECT COUNT(*) AS n FROM cards WHERE application_id IS NOT NULL AND status = 'produced'",
  );
  const produced = [...runs.values()].reduce((s, r) => s + r.produced, 0);
  const inRuns = await scalar(
    db,
    `SELECT COALESCE(SUM(produced), 0) AS n FROM production_runs WHERE run_id IN (${[...runs.keys()].map(() => '?').join(',')})`,
    [...runs.keys()],
  );
  f.count(`${label}: cards the runs say they made`, produced, inRuns);
  f.count(`${label}: produced cards against the runs' counts`, cards, inRuns);
  f.count(
    `${label}: ready applications against produced cards`,
    await scalar(db, "SELECT COUNT(*) AS n FROM applications WHERE status = 'ready'"),
    cards,
  );
  f.count(
    `${label}: audit card.produced`,
    await scalar(
      db,
      "SELECT COUNT(*) AS n FROM audit_events WHERE action = 'card.produced' AND request_id LIKE 'production-run:%'",
    ),
    cards,
  );
  f.count(
    `${label}: audit application.ready`,
    await scalar(db, "SELECT COUNT(*) AS n FROM audit_events WHERE action = 'application.ready'"),
    cards,
  );
  f.count(
    `${label}: applications with more than one card`,
    await scalar(
      db,
      'SELECT COUNT(*) AS n FROM (SELECT application_id FROM cards WHERE application_id IS NOT NULL GROUP BY application_id HAVING COUNT(*) > 1) t',
    ),
    0,
  );
}

/** Which jobs each worker finished, from its log: shows the work was shared out. */
function jobsDoneBy(label: string): string {
  const done = new Map<string, number>();
  try {
    for (const line of readFileSync(path.join(LOGS, `${label}.log`), 'utf8').split('\n')) {
      if (!line.includes('"job completed"')) continue;
      const entry = JSON.parse(line) as { job?: string };
      if (entry.job) done.set(entry.job, (done.get(entry.job) ?? 0) + 1);
    }
  } catch {
    return 'no log';
  }
  return [...done].map(([job, n]) => `${job} ×${n}`).join(', ') || 'nothing';
}

async function jobState(sys: System, queue: 'collection' | 'production', jobId: string) {
  const connection = new Redis(sys.redisUrl, { maxRetriesPerRequest: 3 });
  const queues = createQueues(connection, sys.prefix);
  try {
    const job = await queues.get(queue).getJob(jobId);
    return job
      ? { state: await job.getState(), stalledCounter: job.stalledCounter, attemptsMade: job.attemptsMade }
      : undefined;
  } finally {
    await queues.close();
    connection.disconnect();
  }
}

// ---------------------------------------------------------------------------------------------------
// The drills.

interface DrillResult {
  name: string;
  counters: Counters;
  findings: Findings;
}

/** 1. A worker killed with kill -9 while it imports 20,000 rows; another worker takes the batch over. */
async function drillKilledWorker(rig: Rig, c: Counters, f: Findings): Promise<void> {
  const sys = await openDrill(rig, 1);
  try {
    const bases = [await startApi(sys, 'drill1-api')];
    const letter = await collectionSetup(c, bases, sys.db, 1);
    const collector = letter.collectors[0]!;
    say('drill 1: generating 20,000 rows');
    const bf = await generate(20000, 4242);
    const up = await persist(
      c,
      bases,
      uploadRequest(collector, letter, bf, 'drill1-upload'),
      UPLOAD_PATIENCE_MS,
    );
    if (!up.settled || up.reply.status !== 202)
      throw new Error(`upload: ${describe(up.settled ? up.reply : up.last)}`);
    const batchId = up.reply.body.batchId as string;
    // the worker starts after the upload so that the kill lands in the import, not before it
    const first = startWorker(sys, 'drill1-worker-a');
    let doneAtKill = 0;
    for (;;) {
      const b = await batchOf(c, bases, collector, batchId);
      if (b.status === 'completed' || b.status === 'failed') {
        f.problem('drill 1: the batch finished before the worker could be killed; nothing was proved');
        break;
      }
      if (b.progress.done > 0) {
        first.kill('SIGKILL');
        doneAtKill = b.progress.done;
        break;
      }
      await sleep(20);
    }
    await whenExited(first);
    const killedAt = Date.now();
    say(`drill 1: worker killed with SIGKILL at ${doneAtKill}/20000 rows; starting another worker`);
    startWorker(sys, 'drill1-worker-b');
    const batch = (await settleBatches(c, bases, collector, [batchId], Date.now() + 240_000)).get(batchId)!;
    say(`drill 1: batch ${batch.status} ${((Date.now() - killedAt) / 1000).toFixed(0)} s after the kill`);
    await checkBatch(sys, f, 'drill 1', c, bases, collector, batch, bf);
    f.count(
      'drill 1: residents in all',
      await scalar(sys.db, 'SELECT COUNT(*) AS n FROM residents'),
      bf.expect.accepted,
    );
    const job = await jobState(sys, 'collection', `import-${batchId}`);
    f.note(
      `killed at ${doneAtKill}/20000 rows committed; ${batch.status} ${((Date.now() - killedAt) / 1000).toFixed(0)} s later; ` +
        `job ${job ? `${job.state}, taken over as stalled ${job.stalledCounter}×` : 'no longer in Redis'}`,
    );
    await checkNothingStuck(sys, f, 'drill 1');
  } finally {
    await closeDrill(sys);
  }
}

/** 2. Redis killed and started again while collectors upload batches and production runs wait. */
async function drillRedisRestart(rig: Rig, c: Counters, f: Findings): Promise<void> {
  const sys = await openDrill(rig, 2);
  try {
    const bases = [await startApi(sys, 'drill2-api')];
    startWorker(sys, 'drill2-worker');
    const letter = await collectionSetup(c, bases, sys.db, 3);
    const watcher = letter.collectors[0]!;
    // applications already there, so that the production runs accepted just before the fault have work
    say('drill 2: importing a 3,000-row batch for the production runs to work on');
    const first = await generate(3000, 2200);
    const firstId = (
      await must<{ batchId: string }>(c, bases, uploadRequest(watcher, letter, first, 'drill2-first'), [202])
    ).batchId;
    await settleBatches(c, bases, watcher, [firstId], Date.now() + 120_000);

    const files: BatchFile[][] = [];
    for (let k = 0; k < 3; k++) {
      files.push([]);
      for (let i = 0; i < 3; i++) files[k]!.push(await generate(400, 2300 + 10 * k + i));
    }
    interface Ack {
      file: BatchFile;
      batchId?: string;
      status?: number;
      attempts: number;
      unanswered?: string;
    }
    const acks: Ack[] = [];
    const clients = files.map(async (own, k) => {
      for (const [i, bf] of own.entries()) {
        const ack: Ack = { file: bf, attempts: 0 };
        acks.push(ack);
        const out = await persist(
          c,
          bases,
          uploadRequest(letter.collectors[k]!, letter, bf, `drill2-c${k}-b${i}`),
          UPLOAD_PATIENCE_MS,
        );
        ack.attempts = out.attempts;
        if (!out.settled) ack.unanswered = describe(out.last);
        else if (out.reply.status === 202 || out.reply.status === 200) {
          ack.batchId = out.reply.body.batchId as string;
          ack.status = out.reply.status;
        } else ack.unanswered = `unexpected ${describe(out.reply)}`;
        await sleep(1500);
      }
    });

    // the fault: once a few uploads are in, two production runs are accepted and Redis goes away
    for (let i = 0; i < 200 && acks.filter((a) => a.batchId).length < 3; i++) await sleep(100);
    const runIds: string[] = [];
    for (const key of ['drill2-run-1', 'drill2-run-2']) {
      runIds.push(
        (
          await must<{ runId: string }>(
            c,
            bases,
            { method: 'POST', url: '/production-runs', token: letter.admin, json: {}, key },
            [202],
          )
        ).runId,
      );
    }
    await rig.redis.kill();
    const acknowledgedBefore = acks.filter((a) => a.batchId).length;
    say(`drill 2: Redis killed (${acknowledgedBefore} uploads and 2 production runs acknowledged before)`);
    await sleep(5000);
    await rig.redis.start();
    const backAt = Date.now();
    say('drill 2: Redis started again (empty); clients keep retrying');
    await Promise.all(clients);

    const ids = [...new Set(acks.flatMap((a) => (a.batchId ? [a.batchId] : [])))];
    const views = await settleBatches(c, bases, watcher, ids, backAt + 180_000);
    const allDone = Date.now();
    say(`drill 2: batches settled ${((allDone - backAt) / 1000).toFixed(0)} s after Redis came back`);
    // production runs get as long as the batches took, and at least two sweeps of a minute
    const runs = await settleRuns(c, bases, letter.admin, runIds, Math.max(allDone, backAt + 130_000));
    say(`drill 2: production runs ${[...runs.values()].map((r) => r.status).join(', ')}`);

    for (const a of acks)
      if (a.unanswered)
        f.problem(`drill 2: upload of ${path.basename(a.file.file)} never acknowledged: ${a.unanswered}`);
    f.count('drill 2: distinct batches acknowledged for the 9 files', ids.length, 9);
    f.count(
      'drill 2: batches in the database',
      await scalar(sys.db, 'SELECT COUNT(*) AS n FROM collection_batches'),
      10,
    );
    let accepted = first.expect.accepted;
    for (const a of acks) {
      if (!a.batchId) continue;
      accepted += a.file.expect.accepted;
      await checkBatch(
        sys,
        f,
        `drill 2 ${path.basename(a.file.file)}`,
        c,
        bases,
        watcher,
        views.get(a.batchId)!,
        a.file,
      );
    }
    f.count(
      'drill 2: residents in all',
      await scalar(sys.db, 'SELECT COUNT(*) AS n FROM residents'),
      accepted,
    );
    await checkProduction(sys, f, 'drill 2', runs);
    const retried = acks.filter((a) => a.attempts > 1);
    f.note(
      `${acknowledgedBefore} uploads acknowledged before Redis died; ${retried.length} needed retries ` +
        `(${retried.map((a) => `${a.attempts} tries → ${a.status}`).join(', ')}); last batch done ` +
        `${((allDone - backAt) / 1000).toFixed(0)} s after Redis returned; runs: ` +
        [...runs.values()].map((r) => `${r.status} (${r.produced} cards)`).join(', '),
    );
    await checkNothingStuck(sys, f, 'drill 2');
  } finally {
    await closeDrill(sys);
  }
}

/** 3. MariaDB stopped and started again under counter traffic. */
async function drillDatabaseRestart(rig: Rig, c: Counters, f: Findings): Promise<void> {
  const sys = await openDrill(rig, 3);
  try {
    const bases = [await startApi(sys, 'drill3-api')];
    startWorker(sys, 'drill3-worker');
    const counter = (await createOperator(sys.db, { role: 'counter', centre: 'DL', name: '演练柜台' })).token;
    const callCentre = (await createOperator(sys.db, { role: 'call_center', name: '演练坐席' })).token;
    const admin = (await createOperator(sys.db, { role: 'admin', name: '演练管理员' })).token;
    const holders = await issueCards(c, bases, counter, admin, 4);
    const others = {
      residents: await scalar(sys.db, 'SELECT COUNT(*) AS n FROM residents'),
      applications: await scalar(sys.db, 'SELECT COUNT(*) AS n FROM applications WHERE batch_id IS NULL'),
    };
    // the drill's own connections would not survive the restart; the checks open new ones
    await sys.db.destroy();

    const log = counterLog();
    let stop = false;
    const walkIns = Array.from({ length: 6 }, async (_, k) => {
      for (let i = 0; !stop; i++) await registerAndApply(c, bases, counter, log, `drill3-${k}-${i}`);
    });
    const losses = holders.map(async (h) => {
      for (let i = 0; !stop && !h.halted; i++) await lossAndLift(c, bases, callCentre, counter, h, i);
    });
    await sleep(5000);
    const requestsBefore = c.requests;
    say('drill 3: stopping MariaDB (SIGTERM) under counter traffic');
    await rig.mysql.stop();
    say('drill 3: MariaDB stopped');
    await sleep(3000);
    await rig.mysql.start();
    say('drill 3: MariaDB started again');
    await sleep(8000);
    stop = true;
    await Promise.all([...walkIns, ...losses]);
    say(
      `drill 3: traffic stopped (${log.residents.length} residents, ${log.applications.length} applications acknowledged)`,
    );

    sys.db = createDb(sys.url, 4);
    await checkCounterLog(sys, f, 'drill 3', log, others);
    await checkHolders(sys, f, 'drill 3', holders);
    const pending = await scalar(sys.db, "SELECT COUNT(*) AS n FROM idempotency_keys WHERE state <> 'done'");
    f.note(
      `${log.residents.length} residents, ${log.applications.length} applications, ` +
        `${holders.reduce((s, h) => s + h.reports.length, 0)} loss reports, ${holders.reduce((s, h) => s + h.lifts, 0)} lifts acknowledged; ` +
        `${c.requests - requestsBefore} requests from the stop on; ${pending} Idempotency-Keys left pending`,
    );
    await checkNothingStuck(sys, f, 'drill 3');
  } finally {
    await closeDrill(sys);
  }
}

/** 4. Two API processes and two workers side by side. */
async function drillTwoOfEach(rig: Rig, c: Counters, f: Findings): Promise<void> {
  const sys = await openDrill(rig, 4);
  try {
    const bases = [await startApi(sys, 'drill4-api-a'), await startApi(sys, 'drill4-api-b')];
    startWorker(sys, 'drill4-worker-a');
    startWorker(sys, 'drill4-worker-b');
    const letter = await collectionSetup(c, bases, sys.db, 2);
    const counter = (await createOperator(sys.db, { role: 'counter', centre: 'DL', name: '演练柜台' })).token;
    const files = [await generate(4000, 4401), await generate(4000, 4402)];

    // each file sent at the same moment by two collectors' phones, one through each API
    const uploads = files.map((bf, i) =>
      Promise.all(
        [0, 1].map(async (k) => {
          const out = await persist(
            c,
            [bases[k]!],
            uploadRequest(letter.collectors[k]!, letter, bf, `drill4-f${i}-c${k}`),
            UPLOAD_PATIENCE_MS,
          );
          if (!out.settled) throw new Error(`drill 4 upload never answered: ${describe(out.last)}`);
          return out.reply;
        }),
      ),
    );
    const log = counterLog();
    const walkIns = Array.from({ length: 4 }, async (_, k) => {
      for (let i = 0; i < 25; i++) await registerAndApply(c, bases, counter, log, `drill4-${k}-${i}`);
    });
    const answered = await Promise.all(uploads);
    const ids: string[] = [];
    for (const [i, pair] of answered.entries()) {
      const batchIds = new Set(pair.map((r) => r.body.batchId as string));
      const statuses = pair.map((r) => r.status).sort();
      if (batchIds.size !== 1 || !isDeepStrictEqual(statuses, [200, 202])) {
        f.problem(
          `drill 4: file ${i + 1} uploaded twice at once gave ${statuses.join('/')} and ${batchIds.size} batch ids`,
        );
      }
      ids.push(...batchIds);
    }
    const views = await settleBatches(c, bases, letter.collectors[0]!, ids, Date.now() + 180_000);
    await Promise.all(walkIns);
    say(
      'drill 4: batches imported and counter traffic done; two production runs at once, one through each API',
    );
    const runIds = await Promise.all(
      bases.map(
        async (base, k) =>
          (
            await must<{ runId: string }>(
              c,
              [base],
              {
                method: 'POST',
                url: '/production-runs',
                token: letter.admin,
                json: {},
                key: `drill4-run-${k}`,
              },
              [202],
            )
          ).runId,
      ),
    );
    const runs = await settleRuns(c, bases, letter.admin, runIds, Date.now() + 120_000);

    f.count(
      'drill 4: batches in the database',
      await scalar(sys.db, 'SELECT COUNT(*) AS n FROM collection_batches'),
      files.length,
    );
    let accepted = 0;
    for (const [i, bf] of files.entries()) {
      const id = answered[i]![0]!.body.batchId as string;
      accepted += bf.expect.accepted;
      await checkBatch(sys, f, `drill 4 file ${i + 1}`, c, bases, letter.collectors[0]!, views.get(id)!, bf);
    }
    await checkCounterLog(sys, f, 'drill 4', log, { residents: accepted, applications: 0 });
    await checkProduction(sys, f, 'drill 4', runs);
    const produced = [...runs.values()].reduce((s, r) => s + r.produced, 0);
    f.count(
      'drill 4: applications left unproduced',
      await scalar(sys.db, "SELECT COUNT(*) AS n FROM applications WHERE status = 'submitted'"),
      0,
    );
    f.note(
      `runs made ${[...runs.values()].map((r) => r.produced).join(' + ')} = ${produced} cards; ` +
        `worker a: ${jobsDoneBy('drill4-worker-a')}; worker b: ${jobsDoneBy('drill4-worker-b')}`,
    );
    await checkNothingStuck(sys, f, 'drill 4');
  } finally {
    await closeDrill(sys);
  }
}

const DRILLS: Array<[number, string, (rig: Rig, c: Counters, f: Findings) => Promise<void>]> = [
  [1, '1 kill -9 worker mid-import', drillKilledWorker],
  [2, '2 Redis restart during uploads', drillRedisRestart],
  [3, '3 MariaDB restart under counters', drillDatabaseRestart],
  [4, '4 two APIs + two workers', drillTwoOfEach],
];

function selected(): Set<number> {
  const given = process.env.DRILLS?.trim();
  if (!given) return new Set(DRILLS.map(([n]) => n));
  const list = given.split(',').map((s) => Number(s.trim()));
  if (list.some((n) => !DRILLS.some(([d]) => d === n)))
    throw new Error(`DRILLS=${given}: choose from 1,2,3,4`);
  return new Set(list);
}

async function main(): Promise<number> {
  const bins = findBinaries();
  if ('missing' in bins) {
    console.error(
      `npm run drill starts a MariaDB and a Redis of its own and needs their programs: ${bins.missing.join(', ')} not found.\n` +
        'Install them (Debian/Ubuntu: apt-get install mariadb-server redis-server; the system services need not run).',
    );
    return 1;
  }
  if (!existsSync(GENERATOR)) {
    console.error(
      `npm run drill needs the batch generator at ${GENERATOR} (the shared/ folder next to this repository)`,
    );
    return 1;
  }
  const only = selected();
  await reapLeftovers();
  rmSync(DIR, { recursive: true, force: true });
  mkdirSync(LOGS, { recursive: true });

  const interrupted = (signal: NodeJS.Signals) => {
    say(`${signal}: stopping every process the drill started`);
    void stopEverything().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);

  const rig: Rig = {
    mysql: new PrivateMariaDb(bins, await freePort()),
    redis: new PrivateRedis(bins.redisServer, await freePort()),
  };
  const results: DrillResult[] = [];
  try {
    say(`private MariaDB on port ${rig.mysql.port}, Redis on port ${rig.redis.port} (var/drill)`);
    await rig.mysql.install();
    await rig.mysql.start();
    await rig.redis.start();
    for (const [n, name, drill] of DRILLS) {
      if (!only.has(n)) continue;
      const result: DrillResult = { name, counters: { requests: 0, failures: 0 }, findings: new Findings() };
      results.push(result);
      say(`drill ${name}`);
      try {
        await drill(rig, result.counters, result.findings);
      } catch (err) {
        result.findings.problem(`drill ${n} stopped: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  } finally {
    await stopEverything();
    if (running.size === 0) rmSync(REGISTRY, { force: true });
  }

  console.log(
    `\n${formatTable(
      ['drill', 'requests made', 'failures seen by clients', 'records lost', 'records duplicated'],
      results.map((r) => [
        r.name,
        String(r.counters.requests),
        String(r.counters.failures),
        String(r.findings.lost),
        String(r.findings.duplicated),
      ]),
    )}\n`,
  );
  let failed = false;
  for (const r of results) {
    const ok = r.findings.problems.length === 0 && r.findings.lost === 0 && r.findings.duplicated === 0;
    failed ||= !ok;
    console.log(`${ok ? 'PASS' : 'FAIL'} ${r.name}`);
    for (const n of r.findings.notes) console.log(`     ${n}`);
    for (const p of r.findings.problems) console.log(`  !  ${p}`);
  }
  console.log(`\nlogs: ${path.relative(ROOT, LOGS)}/`);
  return failed ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    void stopEverything().finally(() => {
      process.exitCode = 1;
    });
  },
);
