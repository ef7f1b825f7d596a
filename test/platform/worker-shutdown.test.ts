import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { ChildProcess } from 'node:child_process';
import type { Express } from 'express';
import request from 'supertest';
import { startProcess } from '../../bench/support';
import { buildApp } from '../../src/app';
import { createQueues, QUEUE_NAMES, type Queues } from '../../src/platform/queue';
import { collectionSetup, generateBatch, samplePeriod } from '../support/collection';
import { harness } from '../support/harness';

const ROWS = 6000;

/**
 * A worker process of its own, on a queue prefix of its own: the suite's in-process workers must not
 * take the batch, only the processes started here.
 */
describe('worker process shutdown', function () {
  this.timeout(120000);
  const prefix = () => `${harness().config.queuePrefix}-shutdown`;
  const children: ChildProcess[] = [];
  let queues: Queues;
  let app: Express;

  const startWorker = () => {
    const child = startProcess('jobs/worker.ts', {
      ...process.env,
      QUEUE_PREFIX: prefix(),
      LOG_LEVEL: 'warn',
      LOG_FILE: '',
    });
    children.push(child);
    return child;
  };

  before(async () => {
    const h = harness();
    queues = createQueues(h.deps.redis, prefix());
    for (const name of QUEUE_NAMES) await queues.get(name).obliterate({ force: true });
    app = buildApp({ ...h.deps, queues });
  });

  after(async () => {
    for (const child of children)
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await queues.close();
  });

  it('when SIGTERM arrives in the middle of an import, then the worker hands the job back and exits 0, and the next worker finishes it with every row once', async () => {
    const h = harness();
    const { token, authorisationNo } = await collectionSetup({ area: 'ALL', ...samplePeriod() });
    const { content, expect } = await generateBatch(ROWS, 7202);
    const asCollector = (path: string) =>
      request(app).get(`/api/v1${path}`).set('Authorization', `Bearer ${token}`).expect(200);
    const uploaded = await request(app)
      .post('/api/v1/collection-batches')
      .set('Authorization', `Bearer ${token}`)
      .field('authorisationNo', authorisationNo)
      .attach('file', content, 'shutdown.csv')
      .expect(202);
    const batchId = uploaded.body.batchId as string;

    const first = startWorker();
    for (;;) {
      const batch = (await asCollector(`/collection-batches/${batchId}`)).body;
      assert.notEqual(batch.status, 'completed', 'the batch finished before the worker could be signalled');
      if (batch.progress.done > 0) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    const exited = once(first, 'exit');
    const signalledAt = Date.now();
    first.kill('SIGTERM');
    const [code] = (await exited) as [number | null];
    assert.equal(code, 0);
    assert.ok(Date.now() - signalledAt < 15000, 'the worker stopped at the next chunk, not at the end');

    const job = (await queues.get('collection').getJob(`import-${batchId}`))!;
    const state = await job.getState();
    assert.ok(['waiting', 'delayed'].includes(state), `job left ${state}`);
    const handedBack = (await asCollector(`/collection-batches/${batchId}`)).body;
    assert.equal(handedBack.status, 'processing');
    assert.ok(handedBack.progress.done > 0 && handedBack.progress.done < ROWS);
    assert.equal(await queues.get('collection').getActiveCount(), 0);
    assert.equal(job.attemptsMade, 0, 'handing back spends no attempt');

    const second = startWorker();
    let batch;
    for (const until = Date.now() + 90000; ;) {
      batch = (await asCollector(`/collection-batches/${batchId}`)).body;
      if (batch.status === 'completed' || batch.status === 'failed') break;
      assert.ok(Date.now() < until, `batch still ${batch.status}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    second.kill('SIGTERM');
    await once(second, 'exit');

    assert.equal(batch.status, 'completed');
    assert.deepEqual(batch.progress, { done: ROWS, total: ROWS });
    assert.equal(batch.accepted, expect.accepted);
    assert.equal(batch.rejected, expect.rejected);
    const [rows] = (await h.deps.db.raw(
      `SELECT COUNT(*) AS n, COUNT(DISTINCT a.resident_id) AS people
         FROM applications a JOIN collection_batches b ON b.id = a.batch_id WHERE b.public_id = ?`,
      [batchId],
    )) as [Array<{ n: number | string; people: number | string }>];
    assert.equal(Number(rows[0]!.n), expect.accepted);
    assert.equal(Number(rows[0]!.people), expect.accepted);
  });
});
