import { batchOf, checkBatch, collectionSetup, generate, settleBatches, uploadRequest } from './batches';
import { describe, persist, UPLOAD_PATIENCE_MS, type Counters } from './client';
import { say, sleep } from './clock';
import { checkNothingStuck, scalar, type Findings } from './findings';
import { jobState } from './jobs';
import { whenExited } from './processes';
import type { Rig } from './servers';
import { closeDrill, openDrill, startApi, startWorker } from './system';

/** 1. A worker killed with kill -9 while it imports 20,000 rows; another worker takes the batch over. */
export async function drillKilledWorker(rig: Rig, c: Counters, f: Findings): Promise<void> {
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
