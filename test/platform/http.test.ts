import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { requestHash } from '../../src/platform/idempotency';
import { api, idNumberFor, mobile, registerResident } from '../support/builders';
import { harness } from '../support/harness';

describe('HTTP conventions', () => {
  it('when the JSON is malformed, then 400 MALFORMED_JSON as problem+json', async () => {
    const res = await api('counterDL')
      .post('/api/v1/residents')
      .set('Content-Type', 'application/json')
      .send('{"idNumber": ')
      .expect(400);
    assert.equal(res.body.code, 'MALFORMED_JSON');
    assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
    assert.ok(res.headers['x-request-id']);
  });

  it('when the body is over 100 KB, then 413 PAYLOAD_TOO_LARGE', async () => {
    const res = await api('counterDL')
      .post('/api/v1/residents', { idNumber: '1', name: 'x'.repeat(200 * 1024) })
      .expect(413);
    assert.equal(res.body.code, 'PAYLOAD_TOO_LARGE');
  });

  it('when the JSON body is null, then 422 VALIDATION_FAILED, not a parse error', async () => {
    const res = await api('counterDL')
      .post('/api/v1/residents')
      .set('Content-Type', 'application/json')
      .send('null')
      .expect(422);
    assert.equal(res.body.code, 'VALIDATION_FAILED');
  });

  it('when a stranger sends a malformed body, then 401 comes first: bodies are read only for known callers', async () => {
    const res = await api()
      .post('/api/v1/residents')
      .set('Content-Type', 'application/json')
      .send('{"idNumber": ')
      .expect(401);
    assert.equal(res.body.code, 'UNAUTHENTICATED');
  });

  it('when the body is not JSON, then 415; when it is empty, then 422', async () => {
    const res = await api('counterDL')
      .post('/api/v1/residents')
      .set('Content-Type', 'text/plain')
      .send('hello')
      .expect(415);
    assert.equal(res.body.code, 'UNSUPPORTED_MEDIA_TYPE');
    const empty = await api('counterDL').post('/api/v1/residents').expect(422);
    assert.equal(empty.body.code, 'VALIDATION_FAILED');
  });

  it('when the body claims an encoding it does not have, or a path cannot be decoded, then 400, never 500', async () => {
    for (const encoding of ['gzip', 'deflate', 'br']) {
      const res = await api('counterDL')
        .post('/api/v1/residents/lookup')
        .set('Content-Type', 'application/json')
        .set('Content-Encoding', encoding)
        .send('{"idNumber":"11010519491231002X"}');
      assert.equal(res.status, 400, encoding);
      assert.equal(res.body.code, 'MALFORMED_REQUEST');
    }
    for (const path of [
      '/api/v1/cards/%E0%A4%A',
      '/api/v1/cards/%',
      '/api/v1/residents/%C0%AF',
      '/api/v1/public/authorisations/%ZZ?code=1',
    ]) {
      const res = await api('counterDL').get(path);
      assert.equal(res.status, 400, path);
      assert.equal(res.body.code, 'MALFORMED_REQUEST');
    }
  });

  it('when the route is unknown, then 404 NOT_FOUND as problem+json with the caller’s request id', async () => {
    const res = await api('counterDL').get('/api/v1/nothing-here').set('X-Request-Id', 'req-42').expect(404);
    assert.equal(res.body.code, 'NOT_FOUND');
    assert.equal(res.headers['x-request-id'], 'req-42');
  });

  it('when /healthz and /readyz are asked, then both answer 200 with a request id', async () => {
    const health = await api().get('/healthz').expect(200);
    assert.ok(health.headers['x-request-id']);
    const ready = await api().get('/readyz').expect(200);
    assert.deepEqual(ready.body, { status: 'ready', mysql: 'ok', redis: 'ok' });
  });
});

describe('Idempotency-Key', () => {
  it('when the same POST is sent twice with one key, then the same body comes back and one row is written', async () => {
    const body = { idNumber: idNumberFor('1979-09-09'), name: '何家豪', phone: mobile(), town: '大良街道' };
    const first = await api('counterDL')
      .post('/api/v1/residents', body)
      .set('Idempotency-Key', 'reg-001-a')
      .expect(201);
    const second = await api('counterDL')
      .post('/api/v1/residents', body)
      .set('Idempotency-Key', 'reg-001-a')
      .expect(201);
    assert.deepEqual(second.body, first.body);
    const rows = await harness().deps.db('residents').where('public_id', first.body.id).count({ n: '*' });
    assert.equal(Number(rows[0]!.n), 1);

    const other = await api('counterDL')
      .post('/api/v1/residents', { ...body, phone: mobile() })
      .set('Idempotency-Key', 'reg-001-a')
      .expect(422);
    assert.equal(other.body.code, 'IDEMPOTENCY_KEY_REUSED');
  });

  it('when an application is retried with its key, then one application exists', async () => {
    const resident = await registerResident({ age: 30 });
    const body = { residentId: resident.id, cardType: 'C_NAMED', centre: 'DL' };
    const first = await api('counterDL')
      .post('/api/v1/applications', body)
      .set('Idempotency-Key', `apply-${resident.id}`)
      .expect(201);
    const again = await api('counterDL')
      .post('/api/v1/applications', body)
      .set('Idempotency-Key', `apply-${resident.id}`)
      .expect(201);
    assert.deepEqual(again.body, first.body);
    const view = await api('counterDL').get(`/api/v1/residents/${resident.id}`).expect(200);
    assert.equal(view.body.applications.length, 1);
  });

  describe('a claim left behind by a request that died', () => {
    const body = { quantity: 1, centre: 'DL' };
    const url = '/api/v1/anonymous-cards';

    /** The caller name the counter's claims are kept under, read from a claim it made. */
    async function counterCaller(): Promise<string> {
      const probe = `probe-${randomBytes(4).toString('hex')}`;
      await api('counterDL').post(url, body).set('Idempotency-Key', probe).expect(201);
      const row = (await harness().deps.db('idempotency_keys').where('idem_key', probe).first('caller')) as {
        caller: string;
      };
      return row.caller;
    }

    async function leaveClaim(key: string, state: 'pending' | 'applied', ageMs: number): Promise<void> {
      const h = harness();
      const at = new Date(Date.now() - ageMs);
      await h.deps.db('idempotency_keys').insert({
        caller: await counterCaller(),
        idem_key: key,
        request_hash: requestHash(h.config.piiHashKey, { method: 'POST', url, body }),
        state,
        owner: randomBytes(16),
        claimed_at: at,
        created_at: at,
      });
    }

    const anonymousCards = async () =>
      Number(
        ((await harness().deps.db('cards').where('type', 'C_ANON').count({ n: '*' })) as [{ n: string }])[0]
          .n,
      );

    it('when its claim is older than the lease and nothing committed, then a retry runs once and is kept', async () => {
      const key = `died-${randomBytes(4).toString('hex')}`;
      await leaveClaim(key, 'pending', 60_000);
      const before = await anonymousCards();
      const first = await api('counterDL').post(url, body).set('Idempotency-Key', key).expect(201);
      assert.equal(first.body.cards.length, 1);
      const again = await api('counterDL').post(url, body).set('Idempotency-Key', key).expect(201);
      assert.equal(again.headers['idempotent-replayed'], 'true');
      assert.deepEqual(again.body, first.body);
      assert.equal(await anonymousCards(), before + 1);
    });

    it('when its claim is younger than the lease, then 409 IDEMPOTENCY_IN_PROGRESS and nothing is done', async () => {
      const key = `running-${randomBytes(4).toString('hex')}`;
      await leaveClaim(key, 'pending', 1_000);
      const before = await anonymousCards();
      const res = await api('counterDL').post(url, body).set('Idempotency-Key', key).expect(409);
      assert.equal(res.body.code, 'IDEMPOTENCY_IN_PROGRESS');
      assert.equal(await anonymousCards(), before);
    });

    it('when its work committed but the response was never kept, then 409 IDEMPOTENCY_RESPONSE_LOST, never a second issue', async () => {
      const key = `lost-${randomBytes(4).toString('hex')}`;
      await leaveClaim(key, 'applied', 60_000);
      const before = await anonymousCards();
      const res = await api('counterDL').post(url, body).set('Idempotency-Key', key).expect(409);
      assert.equal(res.body.code, 'IDEMPOTENCY_RESPONSE_LOST');
      assert.equal(await anonymousCards(), before);
    });

    it('when a request commits, then its claim is kept as done with the response', async () => {
      const key = `kept-${randomBytes(4).toString('hex')}`;
      await api('counterDL').post(url, body).set('Idempotency-Key', key).expect(201);
      const row = (await harness().deps.db('idempotency_keys').where('idem_key', key).first('state')) as {
        state: string;
      };
      assert.equal(row.state, 'done');
    });
  });

  it('when the key is longer than 100 characters, then 422 naming the header', async () => {
    const res = await api('counterDL')
      .post('/api/v1/anonymous-cards', { quantity: 1, centre: 'DL' })
      .set('Idempotency-Key', 'k'.repeat(101))
      .expect(422);
    assert.equal(res.body.errors[0].field, 'Idempotency-Key');
  });
});
