import { createOperator } from '../../src/components/operators';
import { createDb } from '../../src/platform/db';
import type { Counters } from './client';
import { say, sleep } from './clock';
import {
  checkCounterLog,
  checkHolders,
  counterLog,
  issueCards,
  lossAndLift,
  registerAndApply,
} from './counter';
import { checkNothingStuck, scalar, type Findings } from './findings';
import type { Rig } from './servers';
import { closeDrill, openDrill, startApi, startWorker } from './system';

/** 3. MariaDB stopped and started again under counter traffic. */
export async function drillDatabaseRestart(rig: Rig, c: Counters, f: Findings): Promise<void> {
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
