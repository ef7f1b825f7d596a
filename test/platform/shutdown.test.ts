import assert from 'node:assert/strict';
import { once } from 'node:events';
import { freePort, startProcess, waitReady } from '../../bench/support';
import { idNumberFor, mobile } from '../support/builders';
import { harness } from '../support/harness';

describe('API process shutdown', () => {
  it('when SIGTERM arrives with requests in flight, then every one of them completes and the process exits 0', async function () {
    this.timeout(60000);
    const h = harness();
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const api = startProcess('src/server.ts', {
      ...process.env,
      PORT: String(port),
      LOG_LEVEL: 'warn',
      LOG_FILE: '',
    });
    try {
      await waitReady(base);
      const calls = Array.from({ length: 40 }, (_, i) =>
        fetch(`${base}/api/v1/residents`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${h.tokens.counterDL}`, 'Content-Type': 'application/json' },
          body: JSON.stringify({
            idNumber: idNumberFor('1980-05-05'),
            name: '停机测试',
            phone: mobile(),
            town: i % 2 ? '大良街道' : '容桂街道',
          }),
        }).then((r) => r.status),
      );
      await new Promise((r) => setTimeout(r, 15));
      const exited = once(api, 'exit');
      api.kill('SIGTERM');
      const statuses = await Promise.all(calls);
      assert.deepEqual(statuses, Array<number>(40).fill(201));
      // while it drains, the balancer's checks are answered (and end their connections), no crash
      await new Promise((r) => setTimeout(r, 200));
      const ready = await fetch(`${base}/readyz`);
      assert.equal(ready.status, 503);
      assert.equal(ready.headers.get('connection'), 'close');
      const health = await fetch(`${base}/healthz`);
      assert.equal(health.status, 200);
      const [code] = (await exited) as [number | null];
      assert.equal(code, 0);
      await assert.rejects(fetch(`${base}/healthz`));
    } finally {
      if (api.exitCode === null) api.kill('SIGKILL');
    }
  });
});
