import path from 'node:path';
import {
  checkBatch,
  collectionSetup,
  generate,
  settleBatches,
  uploadRequest,
  type BatchFile,
} from './batches';
import { describe, must, persist, UPLOAD_PATIENCE_MS, type Counters } from './client';
import { say, sleep } from './clock';
import { checkNothingStuck, scalar, type Findings } from './findings';
import { checkProduction, settleRuns } from './production';
import type { Rig } from './servers';
import { closeDrill, openDrill, startApi, startWorker } from './system';

/** 2. Redis killed and started again while collectors upload batches and production runs wait. */
export async function drillRedisRestart(rig: Rig, c: Counters, f: Findings): Promise<void> {
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
