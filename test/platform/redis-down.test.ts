import assert from 'node:assert/strict';
import request from 'supertest';
import { buildApp } from '../../src/app';
import { createQueues } from '../../src/platform/queue';
import { createRedis } from '../../src/platform/redis';
import { api, applyFor, registerResident } from '../support/builders';
import { harness } from '../support/harness';

describe('when Redis cannot be reached', () => {
  it('then a request that needs the queue gets 503 within seconds and /readyz says 503, while plain requests still work', async function () {
    this.timeout(30000);
    const h = harness();
    // nothing listens on port 1: every connection attempt is refused at once
    const deadRedis = createRedis('redis://127.0.0.1:1/0', 'api');
    deadRedis.on('error', () => undefined);
    const queues = createQueues(deadRedis, h.config.queuePrefix, h.deps.logger);
    try {
      const app = buildApp({ ...h.deps, redis: deadRedis, queues });
      const started = Date.now();
      const res = await request(app)
        .post('/api/v1/production-runs')
        .set('Authorization', `Bearer ${h.tokens.admin}`)
        .send({})
        .expect(503);
      assert.ok(Date.now() - started < 8000, `answered after ${Date.now() - started} ms`);
      assert.equal(res.body.code, 'SERVICE_UNAVAILABLE');
      const ready = await request(app).get('/readyz').expect(503);
      assert.equal(ready.body.redis, 'unreachable');
      const resident = await registerResident({ age: 30 });
      await request(app)
        .get(`/api/v1/residents/${resident.id}`)
        .set('Authorization', `Bearer ${h.tokens.counterDL}`)
        .expect(200);
    } finally {
      await queues.close();
      deadRedis.disconnect();
    }
    // the run that could not be queued is not left hanging as queued
    const resident = await registerResident({ age: 30 });
    await applyFor(resident);
    await api('admin').post('/api/v1/production-runs', {}).expect(202);
  });
});
