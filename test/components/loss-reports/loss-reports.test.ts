import assert from 'node:assert/strict';
import {
  lapseTemporaryReport,
  lossReportsRepository,
  sweepLapsedReports,
} from '../../../src/components/loss-reports';
import {
  api,
  applyFor,
  auditEvents,
  bornYearsAgo,
  idNumberFor,
  produce,
  registerResident,
  residentWithActiveCard,
} from '../../support/builders';
import { functionStatuses, hotlistOf } from '../../support/cards';
import { harness } from '../../support/harness';

const SEVEN_DAYS_MS = 7 * 24 * 3600 * 1000;
const noProgress = { updateProgress: () => Promise.resolve(), attemptsMade: 0 };

function verificationOf(resident: { name: string; idNumber: string }) {
  return { name: resident.name, idNumber: resident.idNumber };
}

/** A loss report for a card, filed by the given operator; temporary unless told. */
function reportLoss(
  role: 'counterDL' | 'callCenter',
  cardNo: string,
  verification: { name: string; idNumber: string },
  kind: 'temporary' | 'formal' = 'temporary',
) {
  return api(role).post(`/api/v1/cards/${cardNo}/loss-reports`, { kind, verification });
}

describe('POST /api/v1/cards/:cardNo/loss-reports', () => {
  it('when the call centre files a temporary report, then the card is temp_lost, every function suspended, and it lapses after seven days', async () => {
    const h = harness();
    const { resident, cardNo } = await residentWithActiveCard({ age: 30 });
    await api('counterDL').post(`/api/v1/cards/${cardNo}/functions/bicycle/activate`).expect(200);
    h.clock.pinLocal('2026-12-01T09:30');

    const res = await reportLoss('callCenter', cardNo, verificationOf(resident)).expect(201);
    assert.equal(res.body.kind, 'temporary');
    assert.deepEqual(res.body.card, { cardNo, status: 'temp_lost' });
    assert.equal(res.body.expiresAt, '2026-12-08T01:30:00.000Z');
    const job = await h.deps.queues.get('cards').getJob(`lapse-${res.body.reportId}`);
    assert.ok(job, 'a delayed lapse job is queued');

    const card = await api('callCenter').get(`/api/v1/cards/${cardNo}`).expect(200);
    assert.equal(card.body.status, 'temp_lost');
    assert.deepEqual(functionStatuses(card.body), {
      medical: 'suspended',
      social_security: 'suspended',
      bicycle: 'suspended',
      library: 'suspended',
      parking: 'suspended',
    });

    const again = await reportLoss('callCenter', cardNo, verificationOf(resident)).expect(409);
    assert.equal(again.body.code, 'ALREADY_REPORTED');

    h.clock.advance(SEVEN_DAYS_MS + 1000);
    await lapseTemporaryReport.handle({ reportId: res.body.reportId }, h.deps, noProgress);
    await sweepLapsedReports.handle({}, h.deps, noProgress);
    await lapseTemporaryReport.handle({ reportId: res.body.reportId }, h.deps, noProgress);

    const after = await api('counterDL').get(`/api/v1/cards/${cardNo}`).expect(200);
    assert.equal(after.body.status, 'active');
    assert.deepEqual(functionStatuses(after.body), {
      medical: 'inactive',
      social_security: 'inactive',
      bicycle: 'active',
      library: 'inactive',
      parking: 'inactive',
    });
    const actions = (await auditEvents('card', cardNo)).map((e) => e.action);
    assert.deepEqual(actions, [
      'card.produced',
      'card.collected',
      'card.function_activated',
      'card.reported_temporary',
      'card.loss_lapsed',
    ]);
    assert.deepEqual(await hotlistOf(cardNo), [
      { usable: true, reason: 'collected' },
      { usable: false, reason: 'temp_lost' },
      { usable: true, reason: 'lapsed' },
    ]);
  });

  it('when the report is not yet due, then neither the job nor the sweeper lifts it', async () => {
    const h = harness();
    const { resident, cardNo } = await residentWithActiveCard({ age: 30 });
    const res = await reportLoss('callCenter', cardNo, verificationOf(resident)).expect(201);
    h.clock.advance(SEVEN_DAYS_MS - 60_000);
    await lapseTemporaryReport.handle({ reportId: res.body.reportId }, h.deps, noProgress);
    await sweepLapsedReports.handle({}, h.deps, noProgress);
    const card = await api('counterDL').get(`/api/v1/cards/${cardNo}`).expect(200);
    assert.equal(card.body.status, 'temp_lost');
  });

  it("when an open report's card has moved on without it, then the sweeper passes it by and still lapses the others", async () => {
    const h = harness();
    const stray = await residentWithActiveCard({ age: 30 });
    const due = await residentWithActiveCard({ age: 31 });
    const strayReport = await reportLoss('callCenter', stray.cardNo, verificationOf(stray.resident)).expect(
      201,
    );
    await reportLoss('callCenter', due.cardNo, verificationOf(due.resident)).expect(201);
    // the state an earlier fault could leave: the card active again, its report still open
    await h.deps.db('cards').where('card_no', stray.cardNo).update({ status: 'active' });
    h.clock.advance(SEVEN_DAYS_MS + 1000);

    const ids = await lossReportsRepository.lapsedReportIds(h.deps.db, h.clock.now(), 200);
    assert.ok(!ids.includes(strayReport.body.reportId));
    await sweepLapsedReports.handle({}, h.deps, noProgress);
    const lapsed = await api('counterDL').get(`/api/v1/cards/${due.cardNo}`).expect(200);
    assert.equal(lapsed.body.status, 'active');
    const strayRow = await h.deps
      .db('loss_reports')
      .where('report_id', strayReport.body.reportId)
      .first('status');
    assert.equal(strayRow.status, 'open');
  });

  it('when ten reports for one card arrive at once, then one is filed and nine are refused', async () => {
    const { resident, cardNo } = await residentWithActiveCard({ age: 30 });
    const results = await Promise.all(
      Array.from({ length: 10 }, () => reportLoss('callCenter', cardNo, verificationOf(resident))),
    );
    assert.deepEqual(results.map((r) => r.status).sort(), [201, ...Array<number>(9).fill(409)]);
    for (const r of results.filter((x) => x.status === 409)) assert.equal(r.body.code, 'ALREADY_REPORTED');
    assert.equal((await hotlistOf(cardNo)).filter((e) => !e.usable).length, 1);
  });

  it('when a report is sent again with its Idempotency-Key, then the first answer comes back and one report is filed', async () => {
    const h = harness();
    const { resident, cardNo } = await residentWithActiveCard({ age: 30 });
    const key = `report-${cardNo}`;
    const first = await reportLoss('callCenter', cardNo, verificationOf(resident))
      .set('Idempotency-Key', key)
      .expect(201);
    const again = await reportLoss('callCenter', cardNo, verificationOf(resident))
      .set('Idempotency-Key', key)
      .expect(201);
    assert.equal(again.headers['idempotent-replayed'], 'true');
    assert.deepEqual(again.body, first.body);
    const claim = await h.deps.db('idempotency_keys').where({ idem_key: key }).first('state');
    assert.equal(claim.state, 'done');
    const reported = (await auditEvents('card', cardNo)).filter(
      (e) => e.action === 'card.reported_temporary',
    );
    assert.equal(reported.length, 1);
  });

  it('when the call centre files a formal report, then 403; when the identity is wrong, then 422 IDENTITY_MISMATCH', async () => {
    const { resident, cardNo } = await residentWithActiveCard({ age: 30 });
    const formal = await reportLoss('callCenter', cardNo, verificationOf(resident), 'formal').expect(403);
    assert.equal(formal.body.code, 'FORBIDDEN');
    const wrong = await reportLoss('callCenter', cardNo, {
      name: resident.name,
      idNumber: idNumberFor('1970-02-02'),
    }).expect(422);
    assert.equal(wrong.body.code, 'IDENTITY_MISMATCH');
    const wrongName = await reportLoss('callCenter', cardNo, {
      name: '张三',
      idNumber: resident.idNumber,
    }).expect(422);
    assert.equal(wrongName.body.code, 'IDENTITY_MISMATCH');
    const card = await api('counterDL').get(`/api/v1/cards/${cardNo}`).expect(200);
    assert.equal(card.body.status, 'active');
  });

  it('when the holder is under 16, then the guardian on file reports and lifts for them, and a guardian who is not on file is refused', async () => {
    const { resident, cardNo } = await residentWithActiveCard({ birthDate: bornYearsAgo(9), guardian: true });
    const guardian = resident.guardian!;
    const stranger = await reportLoss('callCenter', cardNo, {
      name: guardian.name,
      idNumber: idNumberFor(bornYearsAgo(41)),
    }).expect(422);
    assert.equal(stranger.body.code, 'IDENTITY_MISMATCH');
    const misnamed = await reportLoss('callCenter', cardNo, {
      name: '张三',
      idNumber: guardian.idNumber,
    }).expect(422);
    assert.equal(misnamed.body.code, 'IDENTITY_MISMATCH');
    const filed = await reportLoss('callCenter', cardNo, {
      name: guardian.name,
      idNumber: guardian.idNumber,
    }).expect(201);
    assert.deepEqual(filed.body.card, { cardNo, status: 'temp_lost' });
    const lifted = await api('counterDL')
      .post(`/api/v1/cards/${cardNo}/lift-loss`, { verification: { idNumber: guardian.idNumber } })
      .expect(200);
    assert.equal(lifted.body.status, 'active');
  });

  it('when the holder is 16 or older, then the guardian once on file no longer speaks for them', async () => {
    const { resident, cardNo } = await residentWithActiveCard({ age: 30 });
    // an adult registered with a guardian still on file (registered as a child years ago, say)
    const guardian = { name: '监护人', idNumber: idNumberFor(bornYearsAgo(60)), relation: '父亲' };
    await api('counterDL')
      .post('/api/v1/residents', {
        idNumber: resident.idNumber,
        name: resident.name,
        phone: resident.phone,
        town: '大良街道',
        guardian,
      })
      .expect(200);
    const res = await reportLoss('callCenter', cardNo, {
      name: guardian.name,
      idNumber: guardian.idNumber,
    }).expect(422);
    assert.equal(res.body.code, 'IDENTITY_MISMATCH');
  });

  it('when the name or the phone given for the check is an empty string, then 422 naming the field, not an identity mismatch', async () => {
    const { resident, cardNo } = await residentWithActiveCard({ age: 30 });
    const report = await reportLoss('callCenter', cardNo, { name: '', idNumber: resident.idNumber }).expect(
      422,
    );
    assert.deepEqual(
      report.body.errors.map((e: { field: string; code: string }) => [e.field, e.code]),
      [['verification.name', 'NAME_MISSING']],
    );
    const lift = await api('counterDL')
      .post(`/api/v1/cards/${cardNo}/lift-loss`, { verification: { idNumber: resident.idNumber, phone: '' } })
      .expect(422);
    assert.deepEqual(
      lift.body.errors.map((e: { field: string; code: string }) => [e.field, e.code]),
      [['verification.phone', 'PHONE_INVALID']],
    );
    const card = await api('callCenter').get(`/api/v1/cards/${cardNo}`).expect(200);
    assert.equal(card.body.status, 'active');
  });

  it('when an anonymous card is reported, then 409 ANONYMOUS_CARD_NOT_REPORTABLE', async () => {
    const issued = await api('counterDL')
      .post('/api/v1/anonymous-cards', { quantity: 1, centre: 'DL' })
      .expect(201);
    const res = await api('callCenter')
      .post(`/api/v1/cards/${issued.body.cards[0].cardNo}/loss-reports`, {
        kind: 'temporary',
        verification: { name: '梁敏', idNumber: idNumberFor('1980-01-01') },
      })
      .expect(409);
    assert.equal(res.body.code, 'ANONYMOUS_CARD_NOT_REPORTABLE');
  });
});

describe('POST /api/v1/cards/:cardNo/lift-loss', () => {
  it('when the holder lifts a temporary report at the counter, then the card is active again and usable on the hotlist', async () => {
    const { resident, cardNo } = await residentWithActiveCard({ age: 30 });
    await reportLoss('callCenter', cardNo, verificationOf(resident)).expect(201);
    const byCallCentre = await api('callCenter')
      .post(`/api/v1/cards/${cardNo}/lift-loss`, { verification: { idNumber: resident.idNumber } })
      .expect(403);
    assert.equal(byCallCentre.body.code, 'FORBIDDEN');
    const lifted = await api('counterDL')
      .post(`/api/v1/cards/${cardNo}/lift-loss`, { verification: { idNumber: resident.idNumber } })
      .expect(200);
    assert.equal(lifted.body.status, 'active');
    const notReported = await api('counterDL')
      .post(`/api/v1/cards/${cardNo}/lift-loss`, { verification: { idNumber: resident.idNumber } })
      .expect(409);
    assert.equal(notReported.body.code, 'NOT_REPORTED');
    assert.deepEqual(
      (await hotlistOf(cardNo)).map((e) => e.usable),
      [true, false, true],
    );
  });

  it('when the report was formal, then 409 LOSS_REPORT_FORMAL', async () => {
    const { resident, cardNo } = await residentWithActiveCard({ age: 30 });
    const formal = await reportLoss('counterDL', cardNo, verificationOf(resident), 'formal').expect(201);
    assert.deepEqual(formal.body.card, { cardNo, status: 'lost' });
    assert.equal(formal.body.expiresAt, undefined);
    const res = await api('counterDL')
      .post(`/api/v1/cards/${cardNo}/lift-loss`, { verification: { idNumber: resident.idNumber } })
      .expect(409);
    assert.equal(res.body.code, 'LOSS_REPORT_FORMAL');
    const again = await reportLoss('counterDL', cardNo, verificationOf(resident)).expect(409);
    assert.equal(again.body.code, 'ALREADY_REPORTED');
  });
});

describe('POST /api/v1/cards/:cardNo/cancel', () => {
  it('when a card is cancelled, then it is cancelled once, unusable on the hotlist, and cannot be cancelled again', async () => {
    const { cardNo } = await residentWithActiveCard({ age: 30 });
    const res = await api('counterDL')
      .post(`/api/v1/cards/${cardNo}/cancel`, { reason: 'holder_request' })
      .expect(200);
    assert.equal(res.body.status, 'cancelled');
    const again = await api('counterDL')
      .post(`/api/v1/cards/${cardNo}/cancel`, { reason: 'holder_request' })
      .expect(409);
    assert.equal(again.body.code, 'INVALID_STATE');
    assert.deepEqual(await hotlistOf(cardNo), [
      { usable: true, reason: 'collected' },
      { usable: false, reason: 'cancelled' },
    ]);
  });

  it('when a card still waiting at the centre is cancelled, then its application ends with it and the next card is still free', async () => {
    const resident = await registerResident({ age: 30 });
    const first = await applyFor(resident);
    await produce();
    const ready = await api('counterDL').get(`/api/v1/applications/${first.applicationNo}`).expect(200);
    assert.equal(ready.body.status, 'ready');
    const cardNo = ready.body.cardNo as string;

    const cancelled = await api('counterDL')
      .post(`/api/v1/cards/${cardNo}/cancel`, { reason: 'duplicate' })
      .expect(200);
    assert.equal(cancelled.body.status, 'cancelled');
    const ended = await api('counterDL').get(`/api/v1/applications/${first.applicationNo}`).expect(200);
    assert.equal(ended.body.status, 'cancelled');
    const pickup = await api('counterDL')
      .post('/api/v1/pickups', { receiptNo: first.receipt.receiptNo, idNumber: resident.idNumber })
      .expect(409);
    assert.equal(pickup.body.code, 'INVALID_STATE');

    // the card never reached the resident: the next application is still the free first issue
    const next = await applyFor(resident);
    assert.equal(next.reason, 'first');
    assert.deepEqual(next.fee, { amountFen: 0, item: 'first_issue' });
    const events = await auditEvents('application', first.applicationNo as string);
    const withdrawn = events.find((e) => e.action === 'application.cancelled')!;
    assert.deepEqual((withdrawn.before as { status: string }).status, 'ready');
    assert.deepEqual((withdrawn.after as { cardCancelled: string }).cardCancelled, cardNo);
  });

  it('when an anonymous card is cancelled, then 200', async () => {
    const issued = await api('counterDL')
      .post('/api/v1/anonymous-cards', { quantity: 1, centre: 'DL' })
      .expect(201);
    const res = await api('counterDL')
      .post(`/api/v1/cards/${issued.body.cards[0].cardNo}/cancel`, { reason: 'duplicate' })
      .expect(200);
    assert.equal(res.body.status, 'cancelled');
  });
});

describe('lapse-temporary-report job', () => {
  it('when TEMP_LOSS_ON_LAPSE is lost, then a lapsed temporary report leaves the card lost, its functions suspended and its hotlist entry in place', async () => {
    const h = harness();
    const { resident, cardNo } = await residentWithActiveCard({ age: 30 });
    await api('counterDL').post(`/api/v1/cards/${cardNo}/functions/bicycle/activate`).expect(200);
    const res = await reportLoss('callCenter', cardNo, verificationOf(resident)).expect(201);
    // the job runs with a clock and a setting of its own: the shared clock stays put, so the
    // scheduled sweeper (under the suite's reactivate setting) never reaches this report
    const lapsedAt = Date.parse(res.body.expiresAt as string) + 1000;
    const lost = {
      ...h.deps,
      clock: { now: () => new Date(lapsedAt) },
      config: { ...h.config, tempLossOnLapse: 'lost' as const },
    };

    const first = await lapseTemporaryReport.handle({ reportId: res.body.reportId }, lost, noProgress);
    assert.deepEqual(first, { lapsed: true });
    const second = await lapseTemporaryReport.handle({ reportId: res.body.reportId }, lost, noProgress);
    assert.deepEqual(second, { lapsed: false });

    const card = await api('counterDL').get(`/api/v1/cards/${cardNo}`).expect(200);
    assert.equal(card.body.status, 'lost');
    assert.deepEqual(functionStatuses(card.body), {
      medical: 'suspended',
      social_security: 'suspended',
      bicycle: 'suspended',
      library: 'suspended',
      parking: 'suspended',
    });
    const events = await auditEvents('card', cardNo);
    assert.deepEqual(
      events.map((e) => e.action),
      [
        'card.produced',
        'card.collected',
        'card.function_activated',
        'card.reported_temporary',
        'card.loss_lapsed',
      ],
    );
    assert.deepEqual(events[4]!.before, { status: 'temp_lost' });
    assert.deepEqual(events[4]!.after, { status: 'lost', reportId: res.body.reportId });
    assert.deepEqual(await hotlistOf(cardNo), [
      { usable: true, reason: 'collected' },
      { usable: false, reason: 'temp_lost' },
    ]);
    const report = (await h.deps.db('loss_reports').where('report_id', res.body.reportId).first()) as {
      status: string;
      closed_by: string;
    };
    assert.equal(report.status, 'lapsed');
    assert.equal(report.closed_by, 'system');
  });
});
