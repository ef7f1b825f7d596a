import { isDeepStrictEqual } from 'node:util';
import { createOperator } from '../../src/components/operators';
import { checkBatch, collectionSetup, generate, settleBatches, uploadRequest } from './batches';
import { describe, must, persist, UPLOAD_PATIENCE_MS, type Counters } from './client';
import { say } from './clock';
import { checkCounterLog, counterLog, registerAndApply } from './counter';
import { checkNothingStuck, scalar, type Findings } from './findings';
import { jobsDoneBy } from './jobs';
import { checkProduction, settleRuns } from './production';
import type { Rig } from './servers';
import { closeDrill, openDrill, startApi, startWorker } from './system';

/** 4. Two API processes and two workers side by side. */
export async function drillTwoOfEach(rig: Rig, c: Counters, f: Findings): Promise<void> {
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
