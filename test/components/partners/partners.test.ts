import assert from 'node:assert/strict';
import request from 'supertest';
import { buildApp } from '../../../src/app';
import { appendHotlist, cardsRepository } from '../../../src/components/cards';
import { createRedis } from '../../../src/platform/redis';
import { api, residentWithActiveCard } from '../../support/builders';
import { harness } from '../../support/harness';

async function newPartner(scopes: string[], name = '公共自行车调度') {
  const res = await api('admin')
    .post('/api/v1/partners', { name, department: '顺德区交通运输局', scopes })
    .expect(201);
  assert.match(res.body.key, /^pk_/);
  return res.body as { partnerId: string; key: string };
}

function asPartner(key: string) {
  const agent = request(harness().app);
  return { get: (url: string) => agent.get(url).set('Authorization', `Bearer ${key}`) };
}

describe('GET /api/v1/partner/cards/:cardNo', () => {
  it('when a partner with card.read asks, then it learns usability and active functions and nothing personal', async () => {
    const { resident, cardNo } = await residentWithActiveCard({ age: 30, name: '欧阳咏诗' });
    await api('counterDL').post(`/api/v1/cards/${cardNo}/functions/bicycle/activate`).expect(200);
    const partner = await newPartner(['card.read']);
    const res = await asPartner(partner.key).get(`/api/v1/partner/cards/${cardNo}`).expect(200);
    assert.deepEqual(res.body, { cardNo, usable: true, functions: ['bicycle'] });
    const text = JSON.stringify(res.body);
    for (const secret of [resident.idNumber, resident.phone, resident.name, resident.idNumber.slice(0, 6)])
      assert.ok(!text.includes(secret));

    const log = await api('auditor').get(`/api/v1/access-logs?partnerId=${partner.partnerId}`).expect(200);
    assert.equal(log.body.items.length, 1);
    assert.deepEqual(
      { ...log.body.items[0], at: undefined, requestId: undefined },
      {
        at: undefined,
        partnerId: partner.partnerId,
        partnerName: '公共自行车调度',
        department: '顺德区交通运输局',
        endpoint: 'GET /partner/cards/:cardNo',
        cardNo,
        status: 200,
        requestId: undefined,
      },
    );
    assert.equal(log.body.items[0].requestId, res.headers['x-request-id']);
    const holderView = await api('counterDL').get(`/api/v1/cards/${cardNo}/access-log`).expect(200);
    assert.deepEqual(holderView.body.items, log.body.items);
    // a holder on the phone is told the same by the call centre
    const byPhone = await api('callCenter').get(`/api/v1/cards/${cardNo}/access-log`).expect(200);
    assert.deepEqual(byPhone.body.items, log.body.items);
  });

  it('when the partner has only hotlist.read, then 403 and the refusal is logged', async () => {
    const { cardNo } = await residentWithActiveCard({ age: 30 });
    const partner = await newPartner(['hotlist.read']);
    const res = await asPartner(partner.key).get(`/api/v1/partner/cards/${cardNo}`).expect(403);
    assert.equal(res.body.code, 'FORBIDDEN');
    const log = await api('admin').get(`/api/v1/access-logs?partnerId=${partner.partnerId}`).expect(200);
    assert.deepEqual(
      log.body.items.map((i: { status: number; cardNo: string }) => [i.status, i.cardNo]),
      [[403, cardNo]],
    );
  });

  it('when the holder’s view asks for a card that does not exist, then 404 CARD_NOT_FOUND', async () => {
    const res = await api('counterDL').get('/api/v1/cards/999999999/access-log').expect(404);
    assert.equal(res.body.code, 'CARD_NOT_FOUND');
  });

  it('when the card does not exist, then 404 and the call is logged', async () => {
    const partner = await newPartner(['card.read']);
    await asPartner(partner.key).get('/api/v1/partner/cards/123456789').expect(404);
    const log = await api('admin')
      .get(`/api/v1/access-logs?cardNo=123456789&partnerId=${partner.partnerId}`)
      .expect(200);
    assert.equal(log.body.items[0].status, 404);
  });

  it('when keys and tokens are used on the wrong side, then 403; unknown keys 401', async () => {
    const partner = await newPartner(['card.read', 'hotlist.read']);
    const operatorOnPartner = await api('counterDL').get('/api/v1/partner/hotlist').expect(403);
    assert.equal(operatorOnPartner.body.code, 'FORBIDDEN');
    await asPartner(partner.key).get('/api/v1/functions').expect(403);
    await asPartner('pk_unknown').get('/api/v1/partner/hotlist').expect(401);
  });
});

describe('POST /api/v1/partners/:partnerId/revoke and /rotate', () => {
  it('when a partner is revoked, then its key gets 401 at once', async () => {
    const partner = await newPartner(['hotlist.read']);
    await asPartner(partner.key).get('/api/v1/partner/hotlist').expect(200);
    await api('admin').post(`/api/v1/partners/${partner.partnerId}/revoke`).expect(200);
    const res = await asPartner(partner.key).get('/api/v1/partner/hotlist').expect(401);
    assert.equal(res.body.code, 'UNAUTHENTICATED');
  });

  it('when a revoked partner’s key is rotated, then 409 INVALID_STATE', async () => {
    const partner = await newPartner(['hotlist.read']);
    await api('admin').post(`/api/v1/partners/${partner.partnerId}/revoke`).expect(200);
    const res = await api('admin').post(`/api/v1/partners/${partner.partnerId}/rotate`).expect(409);
    assert.equal(res.body.code, 'INVALID_STATE');
  });

  it('when a key is rotated, then the old key stops and the new one works', async () => {
    const partner = await newPartner(['hotlist.read']);
    const rotated = await api('admin').post(`/api/v1/partners/${partner.partnerId}/rotate`).expect(200);
    await asPartner(partner.key).get('/api/v1/partner/hotlist').expect(401);
    await asPartner(rotated.body.key).get('/api/v1/partner/hotlist').expect(200);
  });
});

describe('GET /api/v1/partner/hotlist', () => {
  it('when 500 cards change from 8 clients while a terminal pages, then it sees every entry once and in order', async function () {
    this.timeout(120000);
    const h = harness();
    const partner = await newPartner(['hotlist.read'], '图书馆门禁');
    const start = await asPartner(partner.key).get('/api/v1/partner/hotlist?after=999999999999').expect(200);
    const [top] = (await h.deps.db('hotlist').max({ max: 'seq' })) as Array<{ max: number | null }>;
    const startSeq = Number(top?.max ?? 0);
    assert.equal(start.body.nextCursor, '999999999999');

    const cardNos: string[] = [];
    for (let i = 0; i < 10; i++) {
      const issued = await api('counterDL')
        .post('/api/v1/anonymous-cards', { quantity: 50, centre: 'DL' })
        .expect(201);
      cardNos.push(...issued.body.cards.map((c: { cardNo: string }) => c.cardNo));
    }
    let writersDone = false;
    const writers = Array.from({ length: 8 }, async (_, w) => {
      for (let i = w; i < cardNos.length; i += 8) {
        await api('counterDL')
          .post(`/api/v1/cards/${cardNos[i]}/cancel`, { reason: 'holder_request' })
          .expect(200);
      }
    });
    const seen: Array<{ seq: string; cardNo: string; usable: boolean }> = [];
    const reader = (async () => {
      let cursor = String(startSeq);
      for (;;) {
        const done = writersDone;
        const page = await asPartner(partner.key)
          .get(`/api/v1/partner/hotlist?after=${cursor}&limit=7`)
          .expect(200);
        seen.push(
          ...page.body.items.map((e: { seq: string; cardNo: string; usable: boolean }) => ({
            seq: e.seq,
            cardNo: e.cardNo,
            usable: e.usable,
          })),
        );
        cursor = page.body.nextCursor;
        if (done && page.body.items.length === 0) break;
      }
    })();
    await Promise.all(writers);
    writersDone = true;
    await reader;

    const table = (await h.deps
      .db('hotlist')
      .where('seq', '>', startSeq)
      .orderBy('seq')
      .select('seq', 'card_no', 'usable')) as Array<{ seq: number; card_no: string; usable: number }>;
    assert.equal(table.length, 500);
    assert.deepEqual(
      seen,
      table.map((r) => ({ seq: String(r.seq), cardNo: r.card_no, usable: r.usable === 1 })),
    );
    assert.deepEqual(new Set(seen.map((e) => e.cardNo)), new Set(cardNos));
  });

  it('when an entry commits after a later one was read, then the terminal still gets it on its next page', async () => {
    const h = harness();
    const partner = await newPartner(['hotlist.read'], '停车场道闸');
    const issued = await api('counterDL')
      .post('/api/v1/anonymous-cards', { quantity: 2, centre: 'DL' })
      .expect(201);
    const [slow, quick] = issued.body.cards.map((c: { cardNo: string }) => c.cardNo) as [string, string];
    const start = await asPartner(partner.key).get('/api/v1/partner/hotlist?after=0&limit=500').expect(200);
    let cursor = start.body.nextCursor as string;
    for (let page = start.body; page.items.length === 500; cursor = page.nextCursor)
      page = (await asPartner(partner.key).get(`/api/v1/partner/hotlist?after=${cursor}&limit=500`)).body;

    // a change written first but committed last, as a slow transaction's would be
    const slowCard = (await cardsRepository.findByCardNo(h.deps.db, slow))!;
    const trx = await h.deps.db.transaction();
    await appendHotlist(trx, {
      cardDbId: slowCard.dbId,
      cardNo: slow,
      usable: false,
      reason: 'cancelled',
      at: new Date(),
    });
    await api('counterDL').post(`/api/v1/cards/${quick}/cancel`, { reason: 'holder_request' }).expect(200);
    const first = await asPartner(partner.key).get(`/api/v1/partner/hotlist?after=${cursor}`).expect(200);
    assert.deepEqual(
      first.body.items.map((e: { cardNo: string }) => e.cardNo),
      [quick],
    );
    await trx.commit();
    const second = await asPartner(partner.key)
      .get(`/api/v1/partner/hotlist?after=${first.body.nextCursor}`)
      .expect(200);
    assert.deepEqual(
      second.body.items.map((e: { cardNo: string; usable: boolean }) => [e.cardNo, e.usable]),
      [[slow, false]],
    );
    assert.ok(BigInt(second.body.items[0].seq) > BigInt(first.body.items[0].seq));
  });

  it('when the cursor is beyond any float’s precision, then it comes back untouched as a string', async () => {
    const partner = await newPartner(['hotlist.read']);
    for (const after of ['9007199254740993', '99999999999999999999']) {
      const res = await asPartner(partner.key).get(`/api/v1/partner/hotlist?after=${after}`).expect(200);
      assert.deepEqual(res.body, { items: [], nextCursor: after });
    }
    await asPartner(partner.key).get('/api/v1/partner/hotlist?after=1e5').expect(422);
  });

  it('when the limit is over 500, then 422 naming limit', async () => {
    const partner = await newPartner(['hotlist.read']);
    const res = await asPartner(partner.key).get('/api/v1/partner/hotlist?limit=501').expect(422);
    assert.equal(res.body.errors[0].field, 'limit');
  });
});

describe('partner rate limit', () => {
  it('when a partner goes over its limit across two API processes, then 429 with Retry-After', async () => {
    const h = harness();
    const config = { ...h.config, partnerRateLimitPerMinute: 6 };
    const otherRedis = createRedis(config.redisUrl, 'api');
    try {
      const appA = buildApp({ ...h.deps, config });
      const appB = buildApp({ ...h.deps, config, redis: otherRedis });
      const partner = await newPartner(['hotlist.read']);
      const call = (app: typeof appA) =>
        request(app).get('/api/v1/partner/hotlist').set('Authorization', `Bearer ${partner.key}`);
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) {
        statuses.push((await call(appA)).status, (await call(appB)).status);
      }
      assert.deepEqual(statuses, [200, 200, 200, 200, 200, 200]);
      const over = await call(appB).expect(429);
      assert.equal(over.body.code, 'RATE_LIMITED');
      const retryAfter = Number(over.headers['retry-after']);
      assert.ok(retryAfter >= 1 && retryAfter <= 60, String(retryAfter));
      await call(appA).expect(429);
    } finally {
      otherRedis.disconnect();
    }
  });
});
