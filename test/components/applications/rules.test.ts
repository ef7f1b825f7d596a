import assert from 'node:assert/strict';
import { api, applyFor, bornYearsAgo, registerResident } from '../../support/builders';

describe('POST /api/v1/applications — eligibility rules', () => {
  it('when the bank is not a partner bank, then 422 BANK_UNKNOWN', async () => {
    const resident = await registerResident({ age: 30 });
    const res = await api('counterDL')
      .post('/api/v1/applications', {
        residentId: resident.id,
        cardType: 'B',
        bank: '花旗银行',
        centre: 'DL',
      })
      .expect(422);
    assert.equal(res.body.code, 'BANK_UNKNOWN');
  });

  it('when a B card has no bank, then 422 BANK_MISSING', async () => {
    const resident = await registerResident({ age: 30 });
    const res = await api('counterDL')
      .post('/api/v1/applications', { residentId: resident.id, cardType: 'B', centre: 'DL' })
      .expect(422);
    assert.equal(res.body.code, 'BANK_MISSING');
  });

  it('when the pickup centre is 北滘 (planned, not open), then 422 CENTRE_NOT_OPEN', async () => {
    const resident = await registerResident({ age: 30 });
    for (const centre of ['BJ', '北滘']) {
      const res = await api('counterDL')
        .post('/api/v1/applications', { residentId: resident.id, cardType: 'C_NAMED', centre })
        .expect(422);
      assert.equal(res.body.code, 'CENTRE_NOT_OPEN');
    }
  });

  it('when a 10-year-old has no guardian on file, then 422 GUARDIAN_MISSING and nothing is written', async () => {
    const resident = await registerResident({ birthDate: bornYearsAgo(10) });
    const res = await api('counterDL')
      .post('/api/v1/applications', { residentId: resident.id, cardType: 'C_NAMED', centre: 'DL' })
      .expect(422);
    assert.equal(res.body.code, 'GUARDIAN_MISSING');
    const view = await api('counterDL').get(`/api/v1/residents/${resident.id}`).expect(200);
    assert.deepEqual(view.body.applications, []);
  });

  it('when a 10-year-old has a guardian on file, then a C_NAMED application is accepted', async () => {
    const resident = await registerResident({ birthDate: bornYearsAgo(10), guardian: true });
    await api('counterDL')
      .post('/api/v1/applications', { residentId: resident.id, cardType: 'C_NAMED', centre: 'RG' })
      .expect(201);
  });

  it('when a first application carries a payment, then 409 FEE_MISMATCH: a first card is never charged', async () => {
    const resident = await registerResident({ age: 30 });
    const res = await api('counterDL')
      .post('/api/v1/applications', {
        residentId: resident.id,
        cardType: 'C_NAMED',
        centre: 'DL',
        payment: { amountFen: 2000, method: 'cash' },
      })
      .expect(409);
    assert.equal(res.body.code, 'FEE_MISMATCH');
  });

  it('when the resident does not exist, then 404 RESIDENT_NOT_FOUND', async () => {
    const res = await api('counterDL')
      .post('/api/v1/applications', {
        residentId: '00000000-0000-4000-8000-000000000000',
        cardType: 'C_NAMED',
        centre: 'DL',
      })
      .expect(404);
    assert.equal(res.body.code, 'RESIDENT_NOT_FOUND');
  });

  it('when the card type is unknown, then 422 VALIDATION_FAILED naming the field', async () => {
    const resident = await registerResident({ age: 30 });
    const res = await api('counterDL')
      .post('/api/v1/applications', { residentId: resident.id, cardType: 'A', centre: 'DL' })
      .expect(422);
    assert.equal(res.body.code, 'VALIDATION_FAILED');
    assert.deepEqual(
      res.body.errors.map((e: { field: string; code: string }) => [e.field, e.code]),
      [['cardType', 'INVALID']],
    );
  });

  it('when a call-centre token applies, then 403 FORBIDDEN; without a token, 401 UNAUTHENTICATED', async () => {
    const resident = await registerResident({ age: 30 });
    const body = { residentId: resident.id, cardType: 'C_NAMED', centre: 'DL' };
    const forbidden = await api('callCenter').post('/api/v1/applications', body).expect(403);
    assert.equal(forbidden.body.code, 'FORBIDDEN');
    const anonymous = await api().post('/api/v1/applications', body).expect(401);
    assert.equal(anonymous.body.code, 'UNAUTHENTICATED');
    const unknown = await api()
      .post('/api/v1/applications', body)
      .set('Authorization', 'Bearer op_nope')
      .expect(401);
    assert.equal(unknown.body.code, 'UNAUTHENTICATED');
  });
});

describe('GET /api/v1/applications', () => {
  it('when filtered by a centre named by code or name, then the same page; an unknown centre or cursor is 422', async () => {
    const resident = await registerResident({ age: 30 });
    const app = await applyFor(resident, { centre: 'LC' });
    const byCode = await api('counterDL')
      .get('/api/v1/applications?status=submitted&centre=LC&limit=200')
      .expect(200);
    const byName = await api('counterDL')
      .get(`/api/v1/applications?status=submitted&centre=${encodeURIComponent('乐从')}&limit=200`)
      .expect(200);
    assert.deepEqual(byName.body, byCode.body);
    assert.ok(
      byCode.body.items.some((a: { applicationNo: string }) => a.applicationNo === app.applicationNo),
    );
    const unknown = await api('counterDL').get('/api/v1/applications?centre=XX').expect(422);
    assert.equal(unknown.body.code, 'CENTRE_UNKNOWN');
    const cursor = await api('counterDL').get('/api/v1/applications?cursor=garbage').expect(422);
    assert.equal(cursor.body.errors[0].field, 'cursor');
  });
});

describe('POST /api/v1/applications/:applicationNo/cancel', () => {
  it('when a submitted application is cancelled, then it is cancelled, audited, and the resident may apply again', async () => {
    const resident = await registerResident({ age: 30 });
    const app = await api('counterDL')
      .post('/api/v1/applications', { residentId: resident.id, cardType: 'C_NAMED', centre: 'DL' })
      .expect(201);
    const cancelled = await api('counterDL')
      .post(`/api/v1/applications/${app.body.applicationNo}/cancel`)
      .expect(200);
    assert.equal(cancelled.body.status, 'cancelled');
    const again = await api('counterDL')
      .post('/api/v1/applications', { residentId: resident.id, cardType: 'C_NAMED', centre: 'DL' })
      .expect(201);
    assert.equal(again.body.reason, 'first');
    const second = await api('counterDL')
      .post(`/api/v1/applications/${app.body.applicationNo}/cancel`)
      .expect(409);
    assert.equal(second.body.code, 'INVALID_STATE');
  });
});
