import assert from 'node:assert/strict';
import { harness } from '../support/harness';

describe('job schedulers', () => {
  it('when Redis comes back without them (it keeps nothing on disk), then the worker puts them back', async function () {
    this.timeout(20000);
    const h = harness();
    const maintenance = h.deps.queues.get('maintenance');
    const names = async () => (await maintenance.getJobSchedulers()).map((s) => s.key).sort();
    const before = await names();
    assert.ok(before.includes('sweep-lapsed-reports'), before.join(','));
    for (const key of before) await maintenance.removeJobScheduler(key);
    assert.deepEqual(await names(), []);

    // what a worker sees when Redis restarts: its connection drops and comes back
    h.workers.connections[0]!.disconnect(true);
    for (let i = 0; i < 100 && (await names()).length < before.length; i++)
      await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(await names(), before);
  });
});
