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
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { formatTable, freePort, ROOT } from '../support';
import type { Counters } from './client';
import { say } from './clock';
import { drillKilledWorker } from './drill-1-killed-worker';
import { drillRedisRestart } from './drill-2-redis-restart';
import { drillDatabaseRestart } from './drill-3-database-restart';
import { drillTwoOfEach } from './drill-4-two-of-each';
import { Findings } from './findings';
import { DIR, GENERATOR, LOGS, REGISTRY } from './paths';
import { reapLeftovers, running, stopEverything } from './processes';
import { findBinaries, PrivateMariaDb, PrivateRedis, type Rig } from './servers';

interface DrillResult {
  name: string;
  counters: Counters;
  findings: Findings;
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
