/**
 * `npm run bench` — the API under load next to bare baselines measured in the same run.
 *
 *   npm run bench                      (10 s per scenario, 50 connections)
 *   DURATION=20 CONNECTIONS=50 npm run bench
 *   SCENARIOS=b npm run bench          (only the scenarios named, with their baselines)
 *
 * Scenarios, each with autocannon at 50 connections against the real API (its own process, a fresh
 * database citizen_card_bench_http, the local MariaDB and Redis):
 *   (a) GET /api/v1/cards/:cardNo                     vs  GET /read/:cardNo   (one primary-key read)
 *   (b) temporary loss report + lift, distinct cards  vs  POST /tx/:cardNo    (lock + update + insert)
 *   (c) application + cancel                          vs  POST /tx/:cardNo
 * It prints req/s, p50 and p99 for each and the ratio product/baseline.
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import { idCheckCharacter } from '../src/components/residents';
import { createOperator } from '../src/components/operators';
import { loadConfig } from '../src/config';
import type { Db } from '../src/platform/db';
import {
  call,
  databaseUrl,
  formatTable,
  freePort,
  freshDatabase,
  startProcess,
  stopProcess,
  waitReady,
} from './support';

const DATABASE = 'citizen_card_bench_http';
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 50);
const DURATION = Number(process.env.DURATION ?? 10);
const CARDS_PER_CONNECTION = 20;
const APPLICANTS_PER_CONNECTION = 4;
const SCENARIOS = new Set((process.env.SCENARIOS ?? 'abc').toLowerCase().replace(/[^abc]/g, ''));

interface Figures {
  /** The server process's CPU time per answer, in milliseconds. */
  cpuMsPerRequest: number | undefined;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  /** Answers other than 2xx by status, so an error count can be told apart from a fault. */
  otherStatuses: Record<string, number>;
}

let idSeq = 0;
function idNumber(): string {
  idSeq++;
  const birth = `19${String(50 + (idSeq % 40)).padStart(2, '0')}0${1 + (idSeq % 9)}1${idSeq % 10}`;
  const first17 = `440606${birth}${String(idSeq % 1000).padStart(3, '0')}`.slice(0, 17);
  const id = first17 + idCheckCharacter(first17);
  return id;
}

/**
 * CPU seconds a process has used so far, from /proc (Linux); undefined elsewhere. Per request, it tells
 * how much work the server does for each answer, a figure that moves far less than req/s when other
 * programs share the machine.
 */
function cpuSeconds(pid: number | undefined): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    // utime and stime, fields 14 and 15 of the whole line, in clock ticks of 1/100 s
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

async function run(opts: autocannon.Options, server: ChildProcess): Promise<Figures> {
  const cpuBefore = cpuSeconds(server.pid);
  const result = await autocannon({ connections: CONNECTIONS, duration: DURATION, ...opts });
  const cpuAfter = cpuSeconds(server.pid);
  return {
    cpuMsPerRequest:
      cpuBefore === undefined || cpuAfter === undefined
        ? undefined
        : ((cpuAfter - cpuBefore) * 1000) / result.requests.total,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.non2xx,
    otherStatuses: Object.fromEntries(
      Object.entries(result.statusCodeStats ?? {})
        .filter(([code]) => !code.startsWith('2'))
        .map(([code, stats]) => [code, stats.count ?? 0]),
    ),
  };
}

interface Holder {
  residentId: string;
  idNumber: string;
  name: string;
  cardNo: string;
}

async function setUpCards(base: string, counter: string, admin: string, count: number): Promise<Holder[]> {
  const people: Array<{
    residentId: string;
    idNumber: string;
    name: string;
    cardNo?: string;
    receiptNo?: string;
  }> = [];
  const seen = new Set<string>();
  while (people.length < count) {
    const id = idNumber();
    if (seen.has(id)) continue;
    seen.add(id);
    people.push({ residentId: '', idNumber: id, name: '梁嘉欣' });
  }
  const batches = (size: number) =>
    Array.from({ length: Math.ceil(people.length / size) }, (_, i) => people.slice(i * size, (i + 1) * size));
  for (const group of batches(25)) {
    await Promise.all(
      group.map(async (p, i) => {
        const r = await call<{ id: string }>(base, counter, 'POST', '/residents', {
          idNumber: p.idNumber,
          name: p.name,
          phone: `138${String(10000000 + idSeq + i).slice(-8)}`,
          town: '大良街道',
        });
        p.residentId = r.id;
        const a = await call<{ receipt: { receiptNo: string } }>(base, counter, 'POST', '/applications', {
          residentId: r.id,
          cardType: 'C_NAMED',
          centre: 'DL',
        });
        p.receiptNo = a.receipt.receiptNo;
      }),
    );
  }
  const run = await call<{ runId: string }>(base, admin, 'POST', '/production-runs', {});
  for (;;) {
    const s = await call<{ status: string }>(base, admin, 'GET', `/production-runs/${run.runId}`);
    if (s.status === 'completed') break;
    if (s.status === 'failed') throw new Error('production failed');
    await new Promise((r) => setTimeout(r, 200));
  }
  for (const group of batches(25)) {
    await Promise.all(
      group.map(async (p) => {
        const r = await call<{ card: { cardNo: string } }>(base, counter, 'POST', '/pickups', {
          receiptNo: p.receiptNo,
          idNumber: p.idNumber,
        });
        p.cardNo = r.card.cardNo;
      }),
    );
  }
  return people as Holder[];
}

async function setUpApplicants(base: string, counter: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const r = await call<{ id: string }>(base, counter, 'POST', '/residents', {
      idNumber: idNumber(),
      name: '陈伟',
      phone: '13900000000',
      town: '容桂街道',
    });
    ids.push(r.id);
  }
  return ids;
}

async function main(): Promise<void> {
  const config = loadConfig();
  const url = databaseUrl(config.databaseUrl, DATABASE);
  const db: Db = await freshDatabase(url);
  const [apiPort, basePort] = [await freePort(), await freePort()];
  const env = {
    ...process.env,
    NODE_ENV: 'development',
    DATABASE_URL: url,
    QUEUE_PREFIX: 'cc-bench-http',
    LOG_LEVEL: 'warn',
    LOG_FILE: '',
  };
  const api = startProcess('src/server.ts', { ...env, PORT: String(apiPort) });
  const worker = startProcess('jobs/worker.ts', env);
  const baseline = startProcess('bench/baseline-server.ts', {
    ...env,
    PORT: String(basePort),
    REDIS_URL: config.redisUrl,
    PII_HASH_KEY: config.piiHashKey.toString('hex'),
  });
  const product = `http://127.0.0.1:${apiPort}`;
  const bare = `http://127.0.0.1:${basePort}`;
  try {
    await Promise.all([waitReady(product), waitReady(bare)]);
    const counter = (await createOperator(db, { role: 'counter', centre: 'DL', name: '压测柜台' })).token;
    const callCentre = (await createOperator(db, { role: 'call_center', name: '压测坐席' })).token;
    const admin = (await createOperator(db, { role: 'admin', name: '压测管理员' })).token;
    // autocannon gives each connection a fresh context every time it starts its list of requests over,
    // so a context holds a card (or an applicant) for one cycle only: it is taken from a free list when
    // the cycle starts and put back at its end, and no two connections ever cycle on the same one
    const cardCount = CONNECTIONS * CARDS_PER_CONNECTION;
    console.log(`setting up ${cardCount} collected cards through the API…`);
    const holders = await setUpCards(product, counter, admin, cardCount);
    const applicants = await setUpApplicants(product, counter, CONNECTIONS * APPLICANTS_PER_CONNECTION);
    // a fresh copy for every request: autocannon writes Content-Length into the headers object it is given,
    // and a length left there from a request with a body makes a later bodiless POST hang
    const json = { 'Content-Type': 'application/json' };
    const auth = (token: string) => ({ Authorization: `Bearer ${token}`, ...json });
    type Ctx = Record<string, unknown> & { holder?: Holder; applicant?: string; applicationNo?: string };
    // autocannon types the per-connection context as a bare object
    const setup = (f: (req: autocannon.Request, ctx: Ctx) => autocannon.Request) =>
      f as (req: autocannon.Request, ctx: object) => autocannon.Request;
    const freeHolders = [...holders];
    const freeApplicants = [...applicants];
    const only = (which: string, opts: autocannon.Options) =>
      SCENARIOS.has(which) ? run(opts, opts.url === product ? api : baseline) : Promise.resolve(undefined);

    if (SCENARIOS.has('a')) console.log('(a) card reads…');
    let readIndex = 0;
    /** Card reads going round every card, at `url` + the path a card number gives. */
    const cardReads = (
      url: string,
      pathOf: (cardNo: string) => string,
      headers: Record<string, string> = {},
    ) =>
      only('a', {
        url,
        requests: [
          {
            method: 'GET',
            setupRequest: (req) => ({
              ...req,
              path: pathOf(holders[readIndex++ % holders.length]!.cardNo),
              headers,
            }),
          },
        ],
      });
    const aProduct = await cardReads(product, (no) => `/api/v1/cards/${no}`, auth(counter));
    const aBase = await cardReads(bare, (no) => `/read/${no}`);
    const aFloor = await cardReads(bare, (no) => `/floor/card/${no}`);

    /** Refusals by scenario and code, so an error count can be told apart from a fault. */
    const refusals = new Map<string, number>();
    const noteRefusal = (scenario: string) => (status: number, body: string) => {
      if (status < 400) return;
      const key = `${scenario} ${(JSON.parse(body) as { code?: string }).code ?? status}`;
      refusals.set(key, (refusals.get(key) ?? 0) + 1);
    };

    type CycleRequest = Pick<autocannon.Request, 'path' | 'headers' | 'body'>;
    /** A temporary report and its lift, one card a cycle, taken from the free list and given back. */
    const lossCycles = (
      label: string,
      url: string,
      report: (h: Holder) => CycleRequest,
      lift: (h: Holder) => CycleRequest,
    ) =>
      only('b', {
        url,
        requests: [
          {
            method: 'POST',
            onResponse: noteRefusal(`${label} report`),
            setupRequest: setup((req, ctx) => ({ ...req, ...report((ctx.holder = freeHolders.shift()!)) })),
          },
          {
            method: 'POST',
            onResponse: (status: number, body: string, ctx: object) => {
              noteRefusal(`${label} lift`)(status, body);
              freeHolders.push((ctx as Ctx).holder!);
            },
            setupRequest: setup((req, ctx) => ({ ...req, ...lift(ctx.holder!) })),
          },
        ],
      });

    if (SCENARIOS.has('b')) console.log('(b) temporary loss report + lift cycles…');
    const bProduct = await lossCycles(
      '(b)',
      product,
      (h) => ({
        path: `/api/v1/cards/${h.cardNo}/loss-reports`,
        headers: auth(callCentre),
        body: JSON.stringify({ kind: 'temporary', verification: { name: h.name, idNumber: h.idNumber } }),
      }),
      (h) => ({
        path: `/api/v1/cards/${h.cardNo}/lift-loss`,
        headers: auth(counter),
        body: JSON.stringify({ verification: { idNumber: h.idNumber } }),
      }),
    );
    let txIndex = 0;
    const txBase = await only(SCENARIOS.has('b') ? 'b' : 'c', {
      url: bare,
      requests: [
        {
          method: 'POST',
          setupRequest: (req) => ({ ...req, path: `/tx/${holders[txIndex++ % holders.length]!.cardNo}` }),
        },
      ],
    });

    // the same cycles on the hand-written floor, which leaves every card as the product does
    const bFloor = await lossCycles(
      '(b) floor',
      bare,
      (h) => ({
        path: `/floor/report/${h.cardNo}`,
        headers: { ...json },
        body: JSON.stringify({ name: h.name, idNumber: h.idNumber }),
      }),
      (h) => ({
        path: `/floor/lift/${h.cardNo}`,
        headers: { ...json },
        body: JSON.stringify({ idNumber: h.idNumber }),
      }),
    );

    if (SCENARIOS.has('c')) console.log('(c) application + cancel cycles…');
    const cProduct = await only('c', {
      url: product,
      requests: [
        {
          method: 'POST',
          path: '/api/v1/applications',
          setupRequest: setup((req, ctx) => ({
            ...req,
            headers: auth(counter),
            body: JSON.stringify({
              residentId: (ctx.applicant = freeApplicants.shift()!),
              cardType: 'C_NAMED',
              centre: 'DL',
            }),
          })),
          onResponse: (status: number, body: string, ctx: object) => {
            const answer = JSON.parse(body) as { applicationNo?: string; code?: string };
            (ctx as Ctx).applicationNo = answer.applicationNo;
            noteRefusal('(c) application')(status, body);
          },
        },
        {
          method: 'POST',
          onResponse: (status: number, body: string, ctx: object) => {
            noteRefusal('(c) cancel')(status, body);
            freeApplicants.push((ctx as Ctx).applicant!);
          },
          setupRequest: setup((req, ctx) => ({
            ...req,
            path: `/api/v1/applications/${String(ctx.applicationNo)}/cancel`,
            headers: auth(counter),
          })),
        },
      ],
    });

    const row = (name: string, p: Figures | undefined, b: Figures | undefined, baselineName: string) =>
      p && b
        ? [
            [
              name,
              p.rps.toFixed(0),
              String(p.p50),
              String(p.p99),
              String(p.errors),
              baselineName,
              b.rps.toFixed(0),
              String(b.p50),
              String(b.p99),
              (p.rps / b.rps).toFixed(2),
            ],
          ]
        : [];
    console.log(
      `\n${formatTable(
        ['scenario', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'baseline', 'req/s', 'p50 ms', 'p99 ms', 'ratio'],
        [
          ...row('(a) GET /cards/:cardNo', aProduct, aBase, 'PK read'),
          ...row('(b) loss report + lift', bProduct, txBase, 'lock+update+insert'),
          ...row('(c) application + cancel', cProduct, txBase, 'lock+update+insert'),
        ],
      )}`,
    );
    if (aProduct && aFloor && aBase) {
      console.log(
        `\n(a) written by hand on mysql2, the product's card view query with the holder masked and the functions\n` +
          `listed: ${aFloor.rps.toFixed(0)} req/s, p50 ${aFloor.p50} ms, p99 ${aFloor.p99} ms, ${aFloor.errors} errors; ` +
          `${(aFloor.rps / aBase.rps).toFixed(2)} of the PK read; the product does ${(aProduct.rps / aFloor.rps).toFixed(2)} of it.`,
      );
    }
    if (bProduct && bFloor && txBase) {
      console.log(
        `\n(b) written by hand on mysql2, the same statements in the same two round trips with the same identity\n` +
          `check and lapse job (the floor of the work the rules require): ${bFloor.rps.toFixed(0)} req/s, ` +
          `p50 ${bFloor.p50} ms, p99 ${bFloor.p99} ms, ${bFloor.errors} errors; ` +
          `${(bFloor.rps / txBase.rps).toFixed(2)} of lock+update+insert; the product does ` +
          `${(bProduct.rps / bFloor.rps).toFixed(2)} of the floor.`,
      );
    }
    const cpuRow = (name: string, p: Figures | undefined, b: Figures | undefined) =>
      p?.cpuMsPerRequest !== undefined && b?.cpuMsPerRequest !== undefined
        ? [
            [
              name,
              p.cpuMsPerRequest.toFixed(3),
              b.cpuMsPerRequest.toFixed(3),
              (b.cpuMsPerRequest / p.cpuMsPerRequest).toFixed(2),
            ],
          ]
        : [];
    const cpuRows = [
      ...cpuRow('(a) GET /cards/:cardNo', aProduct, aBase),
      ...cpuRow('(a) by hand (floor)', aFloor, aBase),
      ...cpuRow('(b) loss report + lift', bProduct, txBase),
      ...cpuRow('(b) by hand (floor)', bFloor, txBase),
      ...cpuRow('(c) application + cancel', cProduct, txBase),
    ];
    if (cpuRows.length) {
      console.log('\nserver CPU per request (the API process, and the baseline process):');
      console.log(formatTable(['scenario', 'API ms', 'baseline ms', 'baseline/API'], cpuRows));
    }
    for (const [name, p] of [
      ['(a)', aProduct],
      ['(b)', bProduct],
      ['(c)', cProduct],
    ] as const) {
      if (!p) continue;
      const statuses = Object.entries(p.otherStatuses).map(([code, n]) => `${n}× ${code}`);
      if (statuses.length) console.log(`${name} answers other than 2xx: ${statuses.join(', ')}`);
    }
    if (refusals.size) console.log(`refused: ${[...refusals].map(([c, n]) => `${n}× ${c}`).join(', ')}`);
    console.log(
      `\n${CONNECTIONS} connections, ${DURATION} s each; targets: (a) ≥ 0.70, (b) ≥ 0.60 of their baselines.`,
    );
  } finally {
    await stopProcess(api);
    await stopProcess(worker);
    await stopProcess(baseline);
    await db.destroy();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
