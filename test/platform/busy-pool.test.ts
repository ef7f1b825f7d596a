import assert from 'node:assert/strict';
import { createDb } from '../../src/platform/db';
import { api, residentWithActiveCard } from '../support/builders';
import { harness } from '../support/harness';

/** A database that is busy, or one card's row held, must not look like an outage to everyone else. */
describe('a busy connection pool', () => {
  it('when every pooled connection is in use, then /readyz still finds the database reachable', async () => {
    const { config, deps } = harness();
    // then() sends each at once: a knex statement runs only when it is awaited
    const held = Array.from({ length: config.dbPoolMax }, () =>
      deps.db.raw('SELECT SLEEP(3)').then(() => undefined),
    );
    try {
      // the sleeps have taken every connection once a query behind them has to wait
      await new Promise((r) => setTimeout(r, 300));
      const ready = await api().get('/readyz').expect(200);
      assert.deepEqual(ready.body, { status: 'ready', mysql: 'ok', redis: 'ok' });
    } finally {
      await Promise.all(held);
    }
  });

  it("when another session holds a card's row, then a report on it answers CONCURRENT_UPDATE within seconds and other cards are served meanwhile", async function () {
    this.timeout(40_000);
    const { config } = harness();
    const held = await residentWithActiveCard({ age: 30 });
    const other = await residentWithActiveCard({ age: 31 });
    const session = createDb(config.databaseUrl, 1);
    const trx = await session.transaction();
    try {
      await trx('cards').where('card_no', held.cardNo).forUpdate().select('id');
      const started = Date.now();
      const waiting = Array.from({ length: config.dbPoolMax + 5 }, () =>
        api('callCenter').post(`/api/v1/cards/${held.cardNo}/loss-reports`, {
          kind: 'temporary',
          verification: { name: held.resident.name, idNumber: held.resident.idNumber },
        }),
      );
      await new Promise((r) => setTimeout(r, 500));
      const view = await api('callCenter').get(`/api/v1/cards/${other.cardNo}`).expect(200);
      assert.equal(view.body.status, 'active');
      const answers = await Promise.all(waiting);
      assert.ok(Date.now() - started < 20_000, `answered after ${Date.now() - started} ms`);
      for (const answer of answers) {
        assert.equal(answer.status, 409);
        assert.equal(answer.body.code, 'CONCURRENT_UPDATE');
      }
    } finally {
      await trx.rollback();
      await session.destroy();
    }
    const card = await api('callCenter').get(`/api/v1/cards/${held.cardNo}`).expect(200);
    assert.equal(card.body.status, 'active');
  });

  it('when a report sent with an Idempotency-Key was refused with CONCURRENT_UPDATE, then the retry with that key is carried out', async function () {
    this.timeout(30_000);
    const { config } = harness();
    const { resident, cardNo } = await residentWithActiveCard({ age: 30 });
    const send = () =>
      api('callCenter')
        .post(`/api/v1/cards/${cardNo}/loss-reports`, {
          kind: 'temporary',
          verification: { name: resident.name, idNumber: resident.idNumber },
        })
        .set('Idempotency-Key', `held-${cardNo}`);
    const session = createDb(config.databaseUrl, 1);
    const trx = await session.transaction();
    try {
      await trx('cards').where('card_no', cardNo).forUpdate().select('id');
      const refused = await send().expect(409);
      assert.equal(refused.body.code, 'CONCURRENT_UPDATE');
    } finally {
      await trx.rollback();
      await session.destroy();
    }
    const retried = await send().expect(201);
    assert.equal(retried.headers['idempotent-replayed'], undefined);
    assert.equal(retried.body.card.status, 'temp_lost');
    const replayed = await send().expect(201);
    assert.equal(replayed.headers['idempotent-replayed'], 'true');
    assert.deepEqual(replayed.body, retried.body);
  });
});
