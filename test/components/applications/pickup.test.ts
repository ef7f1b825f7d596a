import assert from 'node:assert/strict';
import {
  api,
  applyFor,
  auditEvents,
  bornYearsAgo,
  idNumberFor,
  produce,
  registerResident,
} from '../../support/builders';

describe('POST /api/v1/pickups', () => {
  it('when the holder collects at the receipt centre, then only the right identity, centre and first attempt succeed', async () => {
    const resident = await registerResident({ age: 40 });
    const app = await applyFor(resident, { centre: 'DL' });
    const receiptNo = app.receipt.receiptNo as string;

    const early = await api('counterDL')
      .post('/api/v1/pickups', { receiptNo, idNumber: resident.idNumber })
      .expect(409);
    assert.equal(early.body.code, 'NOT_READY');

    await produce();
    const ready = await api('counterDL').get(`/api/v1/applications/${app.applicationNo}`).expect(200);
    assert.equal(ready.body.status, 'ready');
    assert.match(ready.body.cardNo, /^\d{9}$/);

    const wrongPerson = await api('counterDL')
      .post('/api/v1/pickups', { receiptNo, idNumber: idNumberFor('1980-01-01') })
      .expect(422);
    assert.equal(wrongPerson.body.code, 'IDENTITY_MISMATCH');
    const wrongCentre = await api('counterRG')
      .post('/api/v1/pickups', { receiptNo, idNumber: resident.idNumber })
      .expect(409);
    assert.equal(wrongCentre.body.code, 'WRONG_CENTRE');
    const minorAgent = { name: '梁小明', idNumber: idNumberFor(bornYearsAgo(17)), relation: '儿子' };
    const underage = await api('counterDL')
      .post('/api/v1/pickups', { receiptNo, idNumber: resident.idNumber, agent: minorAgent })
      .expect(422);
    assert.equal(underage.body.code, 'AGENT_UNDERAGE');

    const ok = await api('counterDL')
      .post('/api/v1/pickups', { receiptNo, idNumber: resident.idNumber })
      .expect(200);
    assert.equal(ok.body.applicationNo, app.applicationNo);
    assert.equal(ok.body.card.cardNo, ready.body.cardNo);
    assert.equal(ok.body.card.status, 'active');
    assert.equal(ok.body.card.type, 'C_NAMED');

    const card = await api('counterDL').get(`/api/v1/cards/${ok.body.card.cardNo}`).expect(200);
    assert.equal(card.body.status, 'active');
    assert.equal(card.body.validUntil, ok.body.card.validUntil);
    assert.ok(card.body.functions.every((f: { status: string }) => f.status === 'inactive'));

    const again = await api('counterDL')
      .post('/api/v1/pickups', { receiptNo, idNumber: resident.idNumber })
      .expect(409);
    assert.equal(again.body.code, 'ALREADY_COLLECTED');

    assert.deepEqual(
      (await auditEvents('application', app.applicationNo)).map((e) => e.action),
      ['application.submitted', 'application.ready', 'application.collected'],
    );
    assert.deepEqual(
      (await auditEvents('card', ok.body.card.cardNo)).map((e) => e.action),
      ['card.produced', 'card.collected'],
    );
  });

  it('when an adult agent collects with their own identity, then 200 and the agent is recorded masked', async () => {
    const resident = await registerResident({ age: 80 });
    const app = await applyFor(resident);
    await produce();
    const agent = { name: '梁家豪', idNumber: idNumberFor(bornYearsAgo(45)), relation: '儿子' };
    await api('counterDL')
      .post('/api/v1/pickups', { receiptNo: app.receipt.receiptNo, idNumber: resident.idNumber, agent })
      .expect(200);
    const events = await auditEvents('application', app.applicationNo);
    const collected = events.find((e) => e.action === 'application.collected')!;
    assert.deepEqual((collected.after as { agent: unknown }).agent, {
      name: '梁*豪',
      idNumber: `${agent.idNumber.slice(0, 6)}********${agent.idNumber.slice(14)}`,
      relation: '儿子',
    });
  });

  it('when a holder under 16 is collected for, then only the guardian on file may do it', async () => {
    const child = await registerResident({ birthDate: bornYearsAgo(9), guardian: true });
    const app = await applyFor(child);
    await produce();
    const receiptNo = app.receipt.receiptNo as string;
    const noAgent = await api('counterDL')
      .post('/api/v1/pickups', { receiptNo, idNumber: child.idNumber })
      .expect(422);
    assert.equal(noAgent.body.code, 'GUARDIAN_REQUIRED');
    const stranger = { name: '陈伟', idNumber: idNumberFor(bornYearsAgo(50)), relation: '邻居' };
    const wrong = await api('counterDL')
      .post('/api/v1/pickups', { receiptNo, idNumber: child.idNumber, agent: stranger })
      .expect(422);
    assert.equal(wrong.body.code, 'GUARDIAN_REQUIRED');
    // the guardian's identity number under another name is not the guardian on file
    const misnamed = await api('counterDL')
      .post('/api/v1/pickups', {
        receiptNo,
        idNumber: child.idNumber,
        agent: { ...child.guardian!, name: '张三' },
      })
      .expect(422);
    assert.equal(misnamed.body.code, 'GUARDIAN_REQUIRED');
    await api('counterDL')
      .post('/api/v1/pickups', { receiptNo, idNumber: child.idNumber, agent: child.guardian })
      .expect(200);
  });

  it('when the receipt number is unknown, then 404 RECEIPT_NOT_FOUND', async () => {
    const res = await api('counterDL')
      .post('/api/v1/pickups', { receiptNo: '000000000000', idNumber: idNumberFor('1980-01-01') })
      .expect(404);
    assert.equal(res.body.code, 'RECEIPT_NOT_FOUND');
  });
});
