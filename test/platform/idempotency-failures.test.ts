import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import express, { type Express } from 'express';
import request from 'supertest';
import { inTransaction } from '../../src/platform/db';
import { errorHandler } from '../../src/platform/http';
import { idempotency } from '../../src/platform/idempotency';
import { IDEMPOTENCY_RETENTION_DAYS, purgeIdempotencyKeys } from '../../src/platform/idempotency-retention';
import { requestScope } from '../../src/platform/request-context';
import { harness } from '../support/harness';

/**
 * A request that answers 5xx releases its Idempotency-Key only when nothing of it committed. The
 * service's routes fail after a commit only when the database goes away at that moment, so these
 * tests mount the middleware on a route that fails on purpose, before or after its transaction.
 */
describe('Idempotency-Key on a request that fails with a 5xx', () => {
  const caller = `test:${randomBytes(4).toString('hex')}`;
  let runs = 0;
  let app: Express;

  before(() => {
    const { deps } = harness();
    const claim = idempotency(deps.db, deps.vault, deps.config.piiHashKey);
    app = express();
    app.use((_req, _res, next) =>
      requestScope.run({ reqId: 'idem-test', operatorId: null, role: null }, next),
    );
    app.use(express.json());
    app.use((req, res, next) => claim(req, res, next, caller).catch(next));
    app.post('/fail-after-commit', async () => {
      await inTransaction(deps.db, async (trx) => {
        runs += 1;
        await trx.raw('SELECT 1');
      });
      throw new Error('the read after the commit failed');
    });
    app.post('/fail-before-commit', () => {
      runs += 1;
      throw new Error('failed before any transaction');
    });
    app.use(errorHandler(deps.logger));
  });

  const claimState = async (key: string) =>
    (
      (await harness().deps.db('idempotency_keys').where({ caller, idem_key: key }).first('state')) as
        { state: string } | undefined
    )?.state;

  /** The claim is released after the response, as soon as the database lets it: wait for that. */
  async function settled(key: string): Promise<string | undefined> {
    for (let i = 0; i < 50; i++) {
      const state = await claimState(key);
      if (state !== 'pending') return state;
      await new Promise((r) => setTimeout(r, 20));
    }
    return claimState(key);
  }

  it('when its work committed before the failure, then the claim stays applied and a retry does not run it again', async () => {
    const key = `after-${randomBytes(4).toString('hex')}`;
    const before = runs;
    await request(app).post('/fail-after-commit').set('Idempotency-Key', key).send({ n: 1 }).expect(500);
    assert.equal(await settled(key), 'applied');
    const retry = await request(app)
      .post('/fail-after-commit')
      .set('Idempotency-Key', key)
      .send({ n: 1 })
      .expect(409);
    assert.equal(retry.body.code, 'IDEMPOTENCY_IN_PROGRESS');
    assert.equal(runs, before + 1);
  });

  it('when it failed before anything committed, then the claim is released and a retry runs', async () => {
    const key = `before-${randomBytes(4).toString('hex')}`;
    const before = runs;
    await request(app).post('/fail-before-commit').set('Idempotency-Key', key).send({ n: 2 }).expect(500);
    for (let i = 0; i < 50 && (await claimState(key)) !== undefined; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(await claimState(key), undefined);
    await request(app).post('/fail-before-commit').set('Idempotency-Key', key).send({ n: 2 }).expect(500);
    assert.equal(runs, before + 2);
  });
});

describe('purge-idempotency-keys job', () => {
  it('when keys are older than the retention, then they are deleted and younger ones kept', async () => {
    const h = harness();
    const now = h.clock.now().getTime();
    const day = 24 * 3600 * 1000;
    const key = (name: string, ageDays: number) => ({
      caller: 'operator:retention-test',
      idem_key: name,
      request_hash: Buffer.alloc(32),
      state: 'done',
      created_at: new Date(now - ageDays * day),
    });
    await h.deps
      .db('idempotency_keys')
      .insert([key('old-1', IDEMPOTENCY_RETENTION_DAYS + 1), key('old-2', 30), key('young', 1)]);
    const result = await purgeIdempotencyKeys.handle({}, h.deps, {
      updateProgress: () => Promise.resolve(),
      attemptsMade: 0,
    });
    // the suite's other keys were made at the real time, which the suite's clock may have moved past
    assert.ok((result as { purged: number }).purged >= 2);
    const left = await h.deps
      .db('idempotency_keys')
      .where('caller', 'operator:retention-test')
      .pluck('idem_key');
    assert.deepEqual(left, ['young']);
  });
});
