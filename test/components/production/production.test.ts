import assert from 'node:assert/strict';
import request from 'supertest';
import { buildApp } from '../../../src/app';
import { hasValidLuhn } from '../../../src/platform/numbers';
import type { Queues } from '../../../src/platform/queue';
import { api, applyFor, registerResident, waitForRun } from '../../support/builders';
import { harness } from '../../support/harness';
import { produceCards, recoverUnfinishedRuns } from '../../../src/components/production';

describe('POST /api/v1/production-runs', () => {
  it('when two runs overlap, then every submitted application gets exactly one card', async () => {
    const residents = await Promise.all(Array.from({ length: 30 }, () => registerResident({ age: 30 })));
    const apps = await Promise.all(residents.map((r) => applyFor(r, { centre: 'LC' })));
    const [a, b] = await Promise.all([
      api('admin').post('/api/v1/production-runs', { centre: 'LC' }).expect(202),
      api('admin').post('/api/v1/production-runs', { centre: 'LC' }).expect(202),
    ]);
    assert.equal(a.body.status, 'queued');
    const [runA, runB] = await Promise.all([waitForRun(a.body.runId), waitForRun(b.body.runId)]);
    assert.equal(runA.status, 'completed');
    assert.equal(runB.status, 'completed');
    assert.equal(runA.produced + runB.produced, 30);

    const cardNos = new Set<string>();
    for (const app of apps) {
      const view = await api('counterDL').get(`/api/v1/applications/${app.applicationNo}`).expect(200);
      assert.equal(view.body.status, 'ready');
      assert.ok(hasValidLuhn(view.body.cardNo));
      cardNos.add(view.body.cardNo);
      const card = await api('counterDL').get(`/api/v1/cards/${view.body.cardNo}`).expect(200);
      assert.equal(card.body.status, 'produced');
    }
    assert.equal(cardNos.size, 30);
  });

  it('when the job runs twice for one run, then the second run of it makes nothing', async () => {
    const resident = await registerResident({ age: 30 });
    await applyFor(resident, { centre: 'RG' });
    const started = await api('admin')
      .post('/api/v1/production-runs', { centre: 'RG', limit: 1 })
      .expect(202);
    const run = await waitForRun(started.body.runId);
    assert.equal(run.produced, 1);
    const h = harness();
    const progress = { updateProgress: () => Promise.resolve(), attemptsMade: 1 };
    await produceCards.handle({ runId: started.body.runId }, { ...h.deps }, progress);
    const after = await api('admin').get(`/api/v1/production-runs/${started.body.runId}`).expect(200);
    assert.equal(after.body.produced, 1);
  });

  it('when an acknowledged run’s job was lost with Redis, then the recovery job queues it again and the run completes once', async () => {
    const h = harness();
    const resident = await registerResident({ age: 30 });
    await applyFor(resident, { centre: 'LC' });
    // the queue took the job and then lost it, as a Redis that restarts empty does
    const forgetful: Queues = { ...h.deps.queues, enqueue: () => Promise.resolve() };
    const started = await request(buildApp({ ...h.deps, queues: forgetful }))
      .post('/api/v1/production-runs')
      .set('Authorization', `Bearer ${h.tokens.admin}`)
      .send({ centre: 'LC', limit: 1 })
      .expect(202);
    const runId = started.body.runId as string;
    assert.equal(await h.deps.queues.get('production').getJob(`produce-${runId}`), undefined);

    const recovered = await recoverUnfinishedRuns(h.deps);
    assert.ok(recovered.enqueued >= 1);
    const run = await waitForRun(runId);
    assert.equal(run.status, 'completed');
    assert.equal(run.produced, 1);

    // once made, the run is left alone by later recoveries
    await recoverUnfinishedRuns(h.deps);
    const again = await api('admin').get(`/api/v1/production-runs/${runId}`).expect(200);
    assert.deepEqual(
      { status: again.body.status, produced: again.body.produced },
      { status: 'completed', produced: 1 },
    );
  });

  it('when a counter token starts a run, then 403', async () => {
    await api('counterDL').post('/api/v1/production-runs', {}).expect(403);
  });
});
