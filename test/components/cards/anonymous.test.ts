import assert from 'node:assert/strict';
import { hasValidLuhn } from '../../../src/platform/numbers';
import { api, auditEvents } from '../../support/builders';
import { harness } from '../../support/harness';

describe('POST /api/v1/anonymous-cards', () => {
  it('when five counters ask at once, then all get distinct active cards with valid check digits', async () => {
    const results = await Promise.all(
      Array.from({ length: 5 }, () =>
        api('counterDL').post('/api/v1/anonymous-cards', { quantity: 3, centre: 'DL' }),
      ),
    );
    const numbers: string[] = [];
    for (const r of results) {
      assert.equal(r.status, 201);
      assert.deepEqual(r.body.fee, { amountFen: 0, item: 'anonymous_issue' });
      for (const card of r.body.cards) {
        assert.equal(card.type, 'C_ANON');
        assert.equal(card.status, 'active');
        assert.match(card.cardNo, /^\d{9}$/);
        assert.ok(hasValidLuhn(card.cardNo), card.cardNo);
        numbers.push(card.cardNo);
      }
    }
    assert.equal(new Set(numbers).size, 15);
    const view = await api('callCenter').get(`/api/v1/cards/${numbers[0]}`).expect(200);
    assert.equal(view.body.holder, undefined);
    assert.deepEqual(
      view.body.functions.map((f: { code: string }) => f.code),
      ['bicycle', 'library', 'parking'],
    );
    assert.deepEqual(
      (await auditEvents('card', numbers[0]!)).map((e) => e.action),
      ['card.issued_anonymous'],
    );
  });

  it('when a counter names another centre, then 409 WRONG_CENTRE and no card is issued', async () => {
    const anonymousCards = async () =>
      Number(
        ((await harness().deps.db('cards').where('type', 'C_ANON').count({ n: '*' })) as [{ n: string }])[0]
          .n,
      );
    const before = await anonymousCards();
    const res = await api('counterDL')
      .post('/api/v1/anonymous-cards', { quantity: 1, centre: 'RG' })
      .expect(409);
    assert.equal(await anonymousCards(), before);
    assert.equal(res.body.code, 'WRONG_CENTRE');
    assert.equal(res.body.detail, '本柜台属于DL服务中心');
    const atHome = await api('counterRG')
      .post('/api/v1/anonymous-cards', { quantity: 1, centre: '容桂' })
      .expect(201);
    assert.equal(atHome.body.cards.length, 1);
  });

  it('when the quantity is 0 or 51, then 422 naming quantity', async () => {
    for (const quantity of [0, 51]) {
      const res = await api('counterDL')
        .post('/api/v1/anonymous-cards', { quantity, centre: 'DL' })
        .expect(422);
      assert.equal(res.body.errors[0].field, 'quantity');
    }
  });
});

describe('GET /api/v1/cards/:cardNo', () => {
  it('when the card does not exist, then 404 CARD_NOT_FOUND', async () => {
    const res = await api('counterDL').get('/api/v1/cards/000000000').expect(404);
    assert.equal(res.body.code, 'CARD_NOT_FOUND');
  });
});
