import assert from 'node:assert/strict';
import { hasValidLuhn } from '../../../src/platform/numbers';
import { api, applyFor, registerResident, waitForRun } from '../../support/builders';
import { harness } from '../../support/harness';
import { produceCards } from '../../../src/components/production';

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

  it('when a counter token starts a run, then 403', async () => {
    await api('counterDL').post('/api/v1/production-runs', {}).expect(403);
  });
});
