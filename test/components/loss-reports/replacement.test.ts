import assert from 'node:assert/strict';
import { api, applyFor, auditEvents, produce, residentWithActiveCard } from '../../support/builders';
import { functionStatuses, hotlistOf } from '../../support/cards';
import { harness } from '../../support/harness';

async function paymentsOf(applicationNo: string) {
  return harness()
    .deps.db('payments as p')
    .join('applications as a', 'a.id', 'p.application_id')
    .where('a.application_no', applicationNo)
    .select('p.amount_fen', 'p.method', 'p.item');
}

describe('POST /api/v1/cards/:cardNo/replacement', () => {
  it('when 2000 fen is paid, then a replacement application is made, the old card is lost, and the new card takes the functions over', async () => {
    const { resident, cardNo } = await residentWithActiveCard({
      age: 40,
      cardType: 'B',
      bank: '中国工商银行',
    });
    await api('counterDL').post(`/api/v1/cards/${cardNo}/functions/financial/activate`).expect(200);
    await api('counterDL').post(`/api/v1/cards/${cardNo}/functions/bicycle/activate`).expect(200);
    await api('callCenter')
      .post(`/api/v1/cards/${cardNo}/loss-reports`, {
        kind: 'temporary',
        verification: { name: resident.name, idNumber: resident.idNumber },
      })
      .expect(201);

    const short = await api('counterDL')
      .post(`/api/v1/cards/${cardNo}/replacement`, { payment: { amountFen: 1500, method: 'cash' } })
      .expect(409);
    assert.equal(short.body.code, 'FEE_MISMATCH');
    const stillTemp = await api('counterDL').get(`/api/v1/cards/${cardNo}`).expect(200);
    assert.equal(stillTemp.body.status, 'temp_lost');
    const residentView = await api('counterDL').get(`/api/v1/residents/${resident.id}`).expect(200);
    assert.equal(residentView.body.applications.length, 1);

    const res = await api('counterDL')
      .post(`/api/v1/cards/${cardNo}/replacement`, { payment: { amountFen: 2000, method: 'wechat' } })
      .expect(201);
    assert.equal(res.body.reason, 'replacement');
    assert.equal(res.body.cardType, 'B');
    assert.equal(res.body.bank, '中国工商银行');
    assert.deepEqual(res.body.fee, { amountFen: 2000, item: 'replacement' });
    assert.equal(res.body.payment.amountFen, 2000);
    assert.equal(res.body.payment.method, 'wechat');
    assert.match(res.body.receipt.receiptNo, /^\d{12}$/);
    assert.deepEqual(await paymentsOf(res.body.applicationNo), [
      { amount_fen: 2000, method: 'wechat', item: 'replacement' },
    ]);
    const lost = await api('counterDL').get(`/api/v1/cards/${cardNo}`).expect(200);
    assert.equal(lost.body.status, 'lost');

    const twice = await api('counterDL')
      .post(`/api/v1/cards/${cardNo}/replacement`, { payment: { amountFen: 2000, method: 'cash' } })
      .expect(409);
    assert.equal(twice.body.code, 'REPLACEMENT_IN_PROGRESS');

    await produce();
    const pickup = await api('counterDL')
      .post('/api/v1/pickups', { receiptNo: res.body.receipt.receiptNo, idNumber: resident.idNumber })
      .expect(200);
    const newCardNo = pickup.body.card.cardNo as string;
    assert.notEqual(newCardNo, cardNo);
    const fresh = await api('counterDL').get(`/api/v1/cards/${newCardNo}`).expect(200);
    assert.equal(fresh.body.replaces, cardNo);
    assert.deepEqual(functionStatuses(fresh.body), {
      financial: 'active',
      medical: 'inactive',
      social_security: 'inactive',
      bicycle: 'active',
      library: 'inactive',
      parking: 'inactive',
    });
    const old = await api('counterDL').get(`/api/v1/cards/${cardNo}`).expect(200);
    assert.equal(old.body.status, 'lost');
    assert.equal(old.body.replacedBy, newCardNo);
    assert.deepEqual(await hotlistOf(cardNo), [
      { usable: true, reason: 'collected' },
      { usable: false, reason: 'temp_lost' },
    ]);
    assert.deepEqual(
      (await auditEvents('card', cardNo)).map((e) => e.action),
      [
        'card.produced',
        'card.collected',
        'card.function_activated',
        'card.function_activated',
        'card.reported_temporary',
        'card.reported_formal',
      ],
    );
  });

  it('when a replacement card is cancelled before collection and the card is replaced again, then its view names the later replacement and still lists each function once', async () => {
    const { cardNo } = await residentWithActiveCard({ age: 40 });
    await api('counterDL').post(`/api/v1/cards/${cardNo}/functions/bicycle/activate`).expect(200);
    await api('counterDL').post(`/api/v1/cards/${cardNo}/functions/medical/activate`).expect(200);
    const replacementCard = async () => {
      const made = await api('counterDL')
        .post(`/api/v1/cards/${cardNo}/replacement`, { payment: { amountFen: 2000, method: 'cash' } })
        .expect(201);
      await produce();
      const ready = await api('counterDL').get(`/api/v1/applications/${made.body.applicationNo}`).expect(200);
      return ready.body.cardNo as string;
    };
    const first = await replacementCard();
    await api('counterDL').post(`/api/v1/cards/${first}/cancel`, { reason: 'duplicate' }).expect(200);
    const second = await replacementCard();
    assert.notEqual(second, first);

    const old = await api('counterDL').get(`/api/v1/cards/${cardNo}`).expect(200);
    assert.equal(old.body.status, 'lost');
    assert.equal(old.body.replacedBy, second);
    assert.deepEqual(
      old.body.functions.map((f: { code: string }) => f.code),
      ['medical', 'social_security', 'bicycle', 'library', 'parking'],
    );
    assert.deepEqual(functionStatuses(old.body), {
      medical: 'suspended',
      social_security: 'suspended',
      bicycle: 'suspended',
      library: 'suspended',
      parking: 'suspended',
    });
    const cancelled = await api('counterDL').get(`/api/v1/cards/${first}`).expect(200);
    assert.equal(cancelled.body.replaces, cardNo);
    assert.equal(cancelled.body.replacedBy, undefined);
  });

  it('when an active card is replaced, then the formal report is filed in the same step', async () => {
    const { cardNo } = await residentWithActiveCard({ age: 40 });
    await api('counterDL')
      .post(`/api/v1/cards/${cardNo}/replacement`, { payment: { amountFen: 2000, method: 'cash' } })
      .expect(201);
    const card = await api('counterDL').get(`/api/v1/cards/${cardNo}`).expect(200);
    assert.equal(card.body.status, 'lost');
    assert.deepEqual(
      (await hotlistOf(cardNo)).map((e) => e.usable),
      [true, false],
    );
  });

  it('when a lift races a replacement, then the card ends either lost with one replacement or active with none', async () => {
    const { resident, cardNo } = await residentWithActiveCard({ age: 40 });
    await api('callCenter')
      .post(`/api/v1/cards/${cardNo}/loss-reports`, {
        kind: 'temporary',
        verification: { name: resident.name, idNumber: resident.idNumber },
      })
      .expect(201);
    const [lift, replacement] = await Promise.all([
      api('counterDL').post(`/api/v1/cards/${cardNo}/lift-loss`, {
        verification: { idNumber: resident.idNumber },
      }),
      api('counterDL').post(`/api/v1/cards/${cardNo}/replacement`, {
        payment: { amountFen: 2000, method: 'cash' },
      }),
    ]);
    assert.equal(replacement.status, 201);
    const card = await api('counterDL').get(`/api/v1/cards/${cardNo}`).expect(200);
    assert.equal(card.body.status, 'lost');
    if (lift.status === 200) {
      assert.deepEqual(
        (await hotlistOf(cardNo)).map((e) => e.usable),
        [true, false, true, false],
      );
    } else {
      assert.equal(lift.body.code, 'LOSS_REPORT_FORMAL');
      assert.deepEqual(
        (await hotlistOf(cardNo)).map((e) => e.usable),
        [true, false],
      );
    }
  });
});

describe('one named card while a replacement or exchange is open', () => {
  it('when a replacement is open, then a new application is 409 NAMED_CARD_EXISTS and the replacement card can be collected', async () => {
    const { resident, cardNo } = await residentWithActiveCard({ age: 40 });
    const replacement = await api('counterDL')
      .post(`/api/v1/cards/${cardNo}/replacement`, { payment: { amountFen: 2000, method: 'cash' } })
      .expect(201);
    const second = await api('counterDL')
      .post('/api/v1/applications', {
        residentId: resident.id,
        cardType: 'C_NAMED',
        centre: 'DL',
        payment: { amountFen: 2000, method: 'cash' },
      })
      .expect(409);
    assert.equal(second.body.code, 'NAMED_CARD_EXISTS');
    await produce();
    await api('counterDL')
      .post('/api/v1/pickups', { receiptNo: replacement.body.receipt.receiptNo, idNumber: resident.idNumber })
      .expect(200);
  });

  it('when an exchange is open and the old card is cancelled, then a new application is still refused', async () => {
    const { resident, cardNo } = await residentWithActiveCard({ age: 40 });
    await api('counterDL')
      .post(`/api/v1/cards/${cardNo}/exchange`, { reason: 'damaged', waiver: { reason: '质量问题' } })
      .expect(201);
    await api('counterDL').post(`/api/v1/cards/${cardNo}/cancel`, { reason: 'holder_request' }).expect(200);
    const res = await api('counterDL')
      .post('/api/v1/applications', {
        residentId: resident.id,
        cardType: 'C_NAMED',
        centre: 'DL',
        payment: { amountFen: 2000, method: 'cash' },
      })
      .expect(409);
    assert.equal(res.body.code, 'NAMED_CARD_EXISTS');
    const again = await api('counterDL')
      .post(`/api/v1/cards/${cardNo}/replacement`, { payment: { amountFen: 2000, method: 'cash' } })
      .expect(409);
    assert.ok(['INVALID_STATE', 'REPLACEMENT_IN_PROGRESS'].includes(again.body.code));
  });
});

describe('POST /api/v1/cards/:cardNo/exchange', () => {
  it('when a waiver is asked for an exchange that is not for damage, then 422 WAIVER_NOT_ALLOWED and nothing is written', async () => {
    const { resident, cardNo } = await residentWithActiveCard({ age: 40 });
    const res = await api('counterDL')
      .post(`/api/v1/cards/${cardNo}/exchange`, { reason: 'info_changed', waiver: { reason: '姓名变更' } })
      .expect(422);
    assert.equal(res.body.code, 'WAIVER_NOT_ALLOWED');
    const view = await api('counterDL').get(`/api/v1/residents/${resident.id}`).expect(200);
    assert.equal(view.body.applications.length, 1);
  });

  it('when exchanged with a waiver, then it costs 0, records who approved it, and the old card works until the new one is collected', async () => {
    const { resident, cardNo } = await residentWithActiveCard({ age: 30 });
    const res = await api('counterDL')
      .post(`/api/v1/cards/${cardNo}/exchange`, { reason: 'damaged', waiver: { reason: '芯片质量问题' } })
      .expect(201);
    assert.equal(res.body.reason, 'exchange');
    assert.deepEqual(res.body.fee, { amountFen: 0, item: 'exchange' });
    assert.equal(res.body.waiver.reason, '芯片质量问题');
    const counterId = (await auditEvents('application', res.body.applicationNo))[0]!.actor.operatorId;
    assert.equal(res.body.waiver.approvedBy, counterId);
    assert.equal(res.body.payment, undefined);

    const stillActive = await api('counterDL').get(`/api/v1/cards/${cardNo}`).expect(200);
    assert.equal(stillActive.body.status, 'active');
    await produce();
    const pickup = await api('counterDL')
      .post('/api/v1/pickups', { receiptNo: res.body.receipt.receiptNo, idNumber: resident.idNumber })
      .expect(200);
    const old = await api('counterDL').get(`/api/v1/cards/${cardNo}`).expect(200);
    assert.equal(old.body.status, 'replaced');
    assert.equal(old.body.replacedBy, pickup.body.card.cardNo);
    assert.deepEqual(
      (await hotlistOf(cardNo)).map((e) => [e.usable, e.reason]),
      [
        [true, 'collected'],
        [false, 'replaced'],
      ],
    );
  });

  it("when the exchange card is collected while the old card stands temporarily reported, then the old card's loss becomes formal and no report is left open", async () => {
    const h = harness();
    const { resident, cardNo } = await residentWithActiveCard({ age: 30 });
    await api('counterDL').post(`/api/v1/cards/${cardNo}/functions/bicycle/activate`).expect(200);
    const exchange = await api('counterDL')
      .post(`/api/v1/cards/${cardNo}/exchange`, { reason: 'damaged', waiver: { reason: '芯片质量问题' } })
      .expect(201);
    const temporary = await api('callCenter')
      .post(`/api/v1/cards/${cardNo}/loss-reports`, {
        kind: 'temporary',
        verification: { name: resident.name, idNumber: resident.idNumber },
      })
      .expect(201);
    await produce();
    const pickup = await api('counterDL')
      .post('/api/v1/pickups', { receiptNo: exchange.body.receipt.receiptNo, idNumber: resident.idNumber })
      .expect(200);

    const old = await api('counterDL').get(`/api/v1/cards/${cardNo}`).expect(200);
    assert.equal(old.body.status, 'lost');
    assert.equal(old.body.replacedBy, pickup.body.card.cardNo);
    const reports = (await h.deps
      .db('loss_reports as lr')
      .join('cards as c', 'c.id', 'lr.card_id')
      .where('c.card_no', cardNo)
      .orderBy('lr.id')
      .select('lr.report_id', 'lr.kind', 'lr.status')) as Array<{
      report_id: string;
      kind: string;
      status: string;
    }>;
    assert.deepEqual(
      reports.map((r) => [r.kind, r.status]),
      [
        ['temporary', 'superseded'],
        ['formal', 'final'],
      ],
    );
    assert.equal(reports[0]!.report_id, temporary.body.reportId);
    const lift = await api('counterDL')
      .post(`/api/v1/cards/${cardNo}/lift-loss`, { verification: { idNumber: resident.idNumber } })
      .expect(409);
    assert.equal(lift.body.code, 'LOSS_REPORT_FORMAL');
    assert.deepEqual((await auditEvents('card', cardNo)).map((e) => e.action).slice(-2), [
      'card.reported_temporary',
      'card.reported_formal',
    ]);
    const fresh = await api('counterDL').get(`/api/v1/cards/${pickup.body.card.cardNo}`).expect(200);
    assert.equal(fresh.body.status, 'active');
    assert.equal(fresh.body.functions.find((f: { code: string }) => f.code === 'bicycle').status, 'active');
  });

  it('when exchanged without a waiver, then the exchange fee is due', async () => {
    const { cardNo } = await residentWithActiveCard({ age: 30 });
    const none = await api('counterDL')
      .post(`/api/v1/cards/${cardNo}/exchange`, { reason: 'info_changed' })
      .expect(409);
    assert.equal(none.body.code, 'FEE_MISMATCH');
    const res = await api('counterDL')
      .post(`/api/v1/cards/${cardNo}/exchange`, {
        reason: 'info_changed',
        payment: { amountFen: 2000, method: 'unionpay' },
      })
      .expect(201);
    assert.deepEqual(res.body.fee, { amountFen: 2000, item: 'exchange' });
  });
});

describe('named card fees', () => {
  it('when a resident who had a named card applies again, then the replacement fee is due (reissue)', async () => {
    const { resident, cardNo } = await residentWithActiveCard({ age: 30 });
    await api('counterDL').post(`/api/v1/cards/${cardNo}/cancel`, { reason: 'holder_request' }).expect(200);
    const free = await api('counterDL')
      .post('/api/v1/applications', { residentId: resident.id, cardType: 'C_NAMED', centre: 'DL' })
      .expect(409);
    assert.equal(free.body.code, 'FEE_MISMATCH');
    const app = await applyFor(resident, { payment: { amountFen: 2000, method: 'alipay' } });
    assert.equal(app.reason, 'reissue');
    assert.deepEqual(app.fee, { amountFen: 2000, item: 'replacement' });
    const cancelled = await api('counterDL')
      .post(`/api/v1/applications/${app.applicationNo}/cancel`)
      .expect(200);
    assert.ok(cancelled.body.payment.refundedAt);
  });
});
