import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { Readable } from 'node:stream';
import type { Express } from 'express';
import request from 'supertest';
import { freshDatabase } from '../../../bench/support';
import { buildApp } from '../../../src/app';
import { readBatchRows } from '../../../src/components/collection/parsing/reader';
import { createOperator } from '../../../src/components/operators';
import { normaliseIdNumber } from '../../../src/components/residents';
import type { Db } from '../../../src/platform/db';
import { createQueues, QUEUE_NAMES, type Queues } from '../../../src/platform/queue';
import {
  expectedReport,
  generateBatch,
  REPO_ROOT,
  samplePeriod,
  type ExpectedReport,
} from '../../support/collection';
import { harness } from '../../support/harness';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked field by field
type Body = any;

/**
 * The drill runs on a database and queue prefix of its own: twenty thousand applications would
 * otherwise sit in every later production run of the suite, and the suite's in-process workers must
 * not touch the batch — only the worker processes started here do.
 */
function drillDatabaseUrl(): string {
  const url = new URL(harness().config.databaseUrl);
  url.pathname = `${url.pathname}_drill`;
  return url.toString();
}

const drillPrefix = () => `${harness().config.queuePrefix}-drill`;

/** A real worker process on the drill's database and prefix. */
function startWorker(): ChildProcess {
  // node itself rather than npx: the pid killed must be the worker's own
  return spawn(process.execPath, ['--import', 'tsx', 'jobs/worker.ts'], {
    cwd: REPO_ROOT,
    env: { ...process.env, DATABASE_URL: drillDatabaseUrl(), QUEUE_PREFIX: drillPrefix(), LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

describe('import-batch job: a worker killed with kill -9 in the middle of a batch', function () {
  this.timeout(240000);
  const children: ChildProcess[] = [];
  let db: Db;
  let queues: Queues;
  let app: Express;

  before(async () => {
    const h = harness();
    db = await freshDatabase(drillDatabaseUrl(), 10);
    queues = createQueues(h.deps.redis, drillPrefix());
    for (const name of QUEUE_NAMES) await queues.get(name).obliterate({ force: true });
    app = buildApp({ ...h.deps, db, queues });
  });

  after(async () => {
    for (const child of children) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited(child);
    }
    await queues.close();
    await db.destroy();
  });

  async function count(sql: string, bindings: unknown[]): Promise<number> {
    const [rows] = (await db.raw(sql, bindings as never)) as [Array<{ n: number | string }>];
    return Number(rows[0]!.n);
  }

  async function report(token: string, batch: Body): Promise<Omit<ExpectedReport, 'rows'>> {
    const rejectedRows: ExpectedReport['rejectedRows'] = [];
    for (let cursor: string | null = null; ;) {
      const res: Body = await request(app)
        .get(
          `/api/v1/collection-batches/${batch.batchId}/rejections?limit=200${cursor ? `&cursor=${cursor}` : ''}`,
        )
        .set('Authorization', `Bearer ${token}`)
        .expect(200);
      for (const r of res.body.items)
        rejectedRows.push({ row: r.row, recordNo: r.recordNo, reason: r.reasons.join('+') });
      cursor = res.body.nextCursor;
      if (!cursor) break;
    }
    return { accepted: batch.accepted, rejected: batch.rejected, byReason: batch.byReason, rejectedRows };
  }

  it('when another worker takes the batch over, then every row is imported exactly once and the report is the uninterrupted one', async () => {
    const h = harness();
    const { content, expect } = await generateBatch(20000, 4242);
    const admin = (await createOperator(db, { role: 'admin', name: '演练管理员' })).token;
    const asAdmin = (path: string, body: object) =>
      request(app).post(`/api/v1${path}`).set('Authorization', `Bearer ${admin}`).send(body).expect(201);
    const team = (await asAdmin('/collection-teams', { name: '演练采集队', town: '大良街道' })).body;
    const letter = (
      await asAdmin(`/collection-teams/${team.id}/authorisations`, { area: 'ALL', ...samplePeriod() })
    ).body;
    const token = (await createOperator(db, { role: 'collector', team: team.id, name: '演练采集员' })).token;
    const batchOf = async (id: string): Promise<Body> =>
      (
        await request(app)
          .get(`/api/v1/collection-batches/${id}`)
          .set('Authorization', `Bearer ${token}`)
          .expect(200)
      ).body;

    const res = await request(app)
      .post('/api/v1/collection-batches')
      .set('Authorization', `Bearer ${token}`)
      .field('authorisationNo', letter.authorisationNo)
      .attach('file', content, 'drill-20000.csv')
      .expect(202);
    const batchId = res.body.batchId as string;

    const first = startWorker();
    children.push(first);
    // watch progress.done and kill the worker as soon as a chunk has committed
    const doneAtKill = await (async () => {
      for (;;) {
        const b = await batchOf(batchId);
        assert.notEqual(b.status, 'completed', 'the batch finished before the worker could be killed');
        if (b.progress.done > 0) {
          first.kill('SIGKILL');
          return b.progress.done as number;
        }
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    await exited(first);
    assert.equal(first.signalCode, 'SIGKILL');
    const stopped = await batchOf(batchId);
    assert.equal(stopped.status, 'processing');
    assert.ok(stopped.progress.done >= doneAtKill && stopped.progress.done < 20000);

    // BullMQ hands the job to the new worker once the dead one's lock has lapsed (up to a minute)
    const second = startWorker();
    children.push(second);
    let batch: Body;
    for (const until = Date.now() + 200000; ;) {
      batch = await batchOf(batchId);
      if (batch.status === 'completed' || batch.status === 'failed') break;
      assert.ok(Date.now() < until, `batch still ${batch.status}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    second.kill('SIGTERM');
    await exited(second);

    assert.equal(batch.status, 'completed');
    assert.deepEqual(batch.progress, { done: 20000, total: 20000 });
    assert.deepEqual(await report(token, batch), expectedReport(expect));
    const job = await queues.get('collection').getJob(`import-${batchId}`);
    assert.equal(job!.stalledCounter, 1, 'the killed worker’s job was taken over as stalled');

    // exactly once, counted in the tables themselves
    const [{ id: batchDbId }] = (await db('collection_batches').where('public_id', batchId).select('id')) as [
      { id: number },
    ];
    const rejected = new Set(expect.rejectedRows.map((r) => r.row));
    const hashes: Buffer[] = [];
    for await (const row of readBatchRows(() => Readable.from([content]))) {
      if (!rejected.has(row.row))
        hashes.push(h.deps.vault.lookupHash(normaliseIdNumber(String(row.cells.idNumber))));
    }
    assert.equal(hashes.length, expect.accepted);
    assert.equal(await count('SELECT COUNT(*) AS n FROM residents', []), expect.accepted);
    let residents = 0;
    for (let i = 0; i < hashes.length; i += 1000) {
      const [{ n }] = (await db('residents')
        .whereIn('id_number_hash', hashes.slice(i, i + 1000))
        .count({ n: '*' })) as [{ n: number | string }];
      residents += Number(n);
    }
    assert.equal(residents, expect.accepted);
    assert.equal(
      await count('SELECT COUNT(*) AS n FROM applications WHERE batch_id = ?', [batchDbId]),
      expect.accepted,
    );
    assert.equal(
      await count('SELECT COUNT(DISTINCT resident_id) AS n FROM applications WHERE batch_id = ?', [
        batchDbId,
      ]),
      expect.accepted,
    );
    assert.equal(await count('SELECT COUNT(*) AS n FROM receipts', []), expect.accepted);
    assert.equal(
      await count(
        'SELECT COUNT(*) AS n FROM receipts r JOIN applications a ON a.id = r.application_id WHERE a.batch_id = ?',
        [batchDbId],
      ),
      expect.accepted,
    );
    assert.equal(
      await count('SELECT COUNT(*) AS n FROM collection_batch_rejections WHERE batch_id = ?', [batchDbId]),
      expect.rejected,
    );
    for (const action of ['resident.registered', 'application.submitted']) {
      assert.equal(
        await count('SELECT COUNT(*) AS n FROM audit_events WHERE action = ? AND request_id = ?', [
          action,
          `batch:${batchId}`,
        ]),
        expect.accepted,
        action,
      );
    }
  });
});
