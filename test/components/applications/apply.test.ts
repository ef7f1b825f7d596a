import assert from 'node:assert/strict';
import { hasValidLuhn } from '../../../src/platform/numbers';
import { api, applyFor, auditEvents, bornYearsAgo, registerResident } from '../../support/builders';
import { harness } from '../../support/harness';

describe('POST /api/v1/applications', () => {
  it('when a new resident applies for a C_NAMED card, then it is free and the receipt is ready 12 working days later', async () => {
    // 18 September 2026 is a Friday before the Mid-Autumn and National Day holidays: the make-up
    // working days of 20 September and 10 October count, 25–27 September and 1–7 October do not
    harness().clock.pinLocal('2026-09-18T10:00');
    const resident = await registerResident({ birthDate: '1990-05-01' });
    const res = await api('counterDL')
      .post('/api/v1/applications', { residentId: resident.id, cardType: 'C_NAMED', centre: 'DL' })
      .expect(201);

    assert.equal(res.body.reason, 'first');
    assert.deepEqual(res.body.fee, { amountFen: 0, item: 'first_issue' });
    assert.equal(res.body.status, 'submitted');
    assert.equal(res.body.payment, undefined);
    assert.match(res.body.receipt.receiptNo, /^\d{12}$/);
    assert.ok(hasValidLuhn(res.body.receipt.receiptNo));
    assert.equal(res.body.receipt.centre, 'DL');
    assert.equal(res.body.receipt.expectedReadyDate, '2026-10-12');
    assert.equal(res.body.receipt.deadline, '2027-10-12');

    const again = await api('counterDL').get(`/api/v1/applications/${res.body.applicationNo}`).expect(200);
    assert.deepEqual(again.body, res.body);
    const events = await auditEvents('application', res.body.applicationNo);
    assert.deepEqual(
      events.map((e) => e.action),
      ['application.submitted'],
    );
    assert.equal(events[0]!.channel, 'counter');
  });

  it('when the holder is 70 or older, then the card is ready 5 working days later', async () => {
    harness().clock.pinLocal('2026-09-18T10:00');
    const resident = await registerResident({ birthDate: '1950-01-10' });
    const app = await applyFor(resident);
    // 21, 22, 23, 24 and then 20 September (a make-up Sunday) counts first: 20, 21, 22, 23, 24
    assert.equal(app.receipt.expectedReadyDate, '2026-09-24');
  });

  it('when twenty counters apply for one resident at once, then exactly one application is made', async () => {
    const resident = await registerResident({ age: 30 });
    const attempts = Array.from({ length: 20 }, (_, i) =>
      api('counterDL').post('/api/v1/applications', {
        residentId: resident.id,
        centre: 'DL',
        ...(i % 2 ? { cardType: 'B', bank: '中国银行' } : { cardType: 'C_NAMED' }),
      }),
    );
    const results = await Promise.all(attempts);
    const statuses = results.map((r) => r.status).sort();
    assert.deepEqual(statuses, [201, ...Array<number>(19).fill(409)]);
    for (const r of results.filter((x) => x.status === 409)) assert.equal(r.body.code, 'NAMED_CARD_EXISTS');
    const view = await api('counterDL').get(`/api/v1/residents/${resident.id}`).expect(200);
    assert.equal(view.body.applications.length, 1);
  });

  it('when a 15-year-old asks for a B card, then 422 B_CARD_UNDERAGE', async () => {
    const resident = await registerResident({ birthDate: bornYearsAgo(15), guardian: true });
    const res = await api('counterDL')
      .post('/api/v1/applications', {
        residentId: resident.id,
        cardType: 'B',
        bank: '中国银行',
        centre: 'DL',
      })
      .expect(422);
    assert.equal(res.body.code, 'B_CARD_UNDERAGE');
    assert.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8');
  });
});

describe('GET /api/v1/receipts/:receiptNo', () => {
  it('when a counter reprints a receipt, then it gets the same application body the POST returned', async () => {
    const resident = await registerResident({ age: 40 });
    const made = await api('counterDL')
      .post('/api/v1/applications', { residentId: resident.id, cardType: 'C_NAMED', centre: 'DL' })
      .expect(201);
    const reprint = await api('counterDL').get(`/api/v1/receipts/${made.body.receipt.receiptNo}`).expect(200);
    assert.deepEqual(reprint.body, made.body);
    assert.equal(reprint.body.residentId, resident.id);
    assert.equal(reprint.body.status, 'submitted');
  });

  it('when the receipt number is unknown, then 404 RECEIPT_NOT_FOUND', async () => {
    const res = await api('counterDL').get('/api/v1/receipts/000000000000').expect(404);
    assert.equal(res.body.code, 'RECEIPT_NOT_FOUND');
  });
});
