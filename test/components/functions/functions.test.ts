import assert from 'node:assert/strict';
import { api, bornYearsAgo, residentWithActiveCard } from '../../support/builders';
import { functionStatuses } from '../../support/cards';

describe('GET /api/v1/functions', () => {
  it('when listed, then the six functions come with scope, card types and availability', async () => {
    const res = await api('counterDL').get('/api/v1/functions').expect(200);
    assert.equal(res.body.nextCursor, null);
    const byCode = Object.fromEntries(res.body.items.map((f: { code: string }) => [f.code, f]));
    assert.deepEqual(byCode.financial, {
      code: 'financial',
      name: '金融',
      scope: 'nationwide',
      cardTypes: ['B'],
      availability: 'open',
    });
    assert.equal(byCode.medical.scope, 'local');
    assert.deepEqual(byCode.bicycle.cardTypes, ['B', 'C_NAMED', 'C_ANON']);
    assert.ok(['planned', 'open'].includes(byCode.parking.availability));
  });

  it('when paged with limit 4, then two pages hold the six functions once; a limit of 0 or a foreign cursor is 422', async () => {
    const all = await api('counterDL').get('/api/v1/functions').expect(200);
    const first = await api('counterDL').get('/api/v1/functions?limit=4').expect(200);
    assert.equal(first.body.items.length, 4);
    assert.equal(typeof first.body.nextCursor, 'string');
    const second = await api('counterDL')
      .get(`/api/v1/functions?limit=4&cursor=${first.body.nextCursor}`)
      .expect(200);
    assert.equal(second.body.nextCursor, null);
    assert.deepEqual([...first.body.items, ...second.body.items], all.body.items);
    const zero = await api('counterDL').get('/api/v1/functions?limit=0').expect(422);
    assert.deepEqual(
      zero.body.errors.map((e: { field: string }) => e.field),
      ['limit'],
    );
    const foreign = await api('counterDL').get('/api/v1/functions?cursor=zzz').expect(422);
    assert.equal(foreign.body.errors[0].field, 'cursor');
    // well formed, but past the end: never handed out
    const beyond = Buffer.from('100').toString('base64url');
    const past = await api('counterDL').get(`/api/v1/functions?cursor=${beyond}`).expect(422);
    assert.equal(past.body.errors[0].field, 'cursor');
    const fees = await api('counterDL').get('/api/v1/fee-schedule?limit=201').expect(422);
    assert.equal(fees.body.errors[0].field, 'limit');
    const feePage = await api('counterDL').get('/api/v1/fee-schedule?limit=1').expect(200);
    assert.equal(feePage.body.items.length, 1);
    assert.equal(typeof feePage.body.nextCursor, 'string');
  });
});

describe('POST /api/v1/cards/:cardNo/functions/:code/activate', () => {
  it('when financial is asked for a C_NAMED card, then 409 FUNCTION_NOT_ALLOWED', async () => {
    const { cardNo } = await residentWithActiveCard({ age: 30 });
    const res = await api('counterDL')
      .post(`/api/v1/cards/${cardNo}/functions/financial/activate`)
      .expect(409);
    assert.equal(res.body.code, 'FUNCTION_NOT_ALLOWED');
  });

  it('when financial is asked for a B card, then it is active and the bank is the card’s own', async () => {
    const { cardNo } = await residentWithActiveCard({ age: 30, cardType: 'B', bank: '广发银行' });
    const res = await api('counterDL')
      .post(`/api/v1/cards/${cardNo}/functions/financial/activate`)
      .expect(200);
    assert.equal(res.body.bank, '广发银行');
    assert.equal(functionStatuses(res.body).financial, 'active');
  });

  it('when library is planned, then 409 FUNCTION_NOT_AVAILABLE until an admin opens it, then 200', async () => {
    const { cardNo } = await residentWithActiveCard({ age: 30 });
    await api('admin').post('/api/v1/functions/library/close').expect(200);
    const refused = await api('counterDL')
      .post(`/api/v1/cards/${cardNo}/functions/library/activate`)
      .expect(409);
    assert.equal(refused.body.code, 'FUNCTION_NOT_AVAILABLE');
    await api('counterDL').post('/api/v1/functions/library/open').expect(403);
    const opened = await api('admin').post('/api/v1/functions/library/open').expect(200);
    assert.equal(opened.body.availability, 'open');
    const res = await api('counterDL').post(`/api/v1/cards/${cardNo}/functions/library/activate`).expect(200);
    assert.equal(functionStatuses(res.body).library, 'active');
    await api('admin').post('/api/v1/functions/library/close').expect(200);
  });

  it('when the holder is 71, then bicycle is 422 AGE_RESTRICTED; at 70 it is allowed', async () => {
    const old = await residentWithActiveCard({ birthDate: bornYearsAgo(71) });
    const res = await api('counterDL')
      .post(`/api/v1/cards/${old.cardNo}/functions/bicycle/activate`)
      .expect(422);
    assert.equal(res.body.code, 'AGE_RESTRICTED');
    const seventy = await residentWithActiveCard({ birthDate: bornYearsAgo(70) });
    await api('counterDL').post(`/api/v1/cards/${seventy.cardNo}/functions/bicycle/activate`).expect(200);
  });

  it('when an anonymous card asks for bicycle, then it is active; medical is not allowed', async () => {
    const issued = await api('counterDL')
      .post('/api/v1/anonymous-cards', { quantity: 1, centre: 'DL' })
      .expect(201);
    const cardNo = issued.body.cards[0].cardNo as string;
    const res = await api('counterDL').post(`/api/v1/cards/${cardNo}/functions/bicycle/activate`).expect(200);
    assert.equal(functionStatuses(res.body).bicycle, 'active');
    const medical = await api('counterDL')
      .post(`/api/v1/cards/${cardNo}/functions/medical/activate`)
      .expect(409);
    assert.equal(medical.body.code, 'FUNCTION_NOT_ALLOWED');
  });

  it('when the card is temporarily lost, then 409 INVALID_STATE; deactivation switches a function off', async () => {
    const { resident, cardNo } = await residentWithActiveCard({ age: 30 });
    await api('counterDL').post(`/api/v1/cards/${cardNo}/functions/medical/activate`).expect(200);
    const off = await api('counterDL')
      .post(`/api/v1/cards/${cardNo}/functions/medical/deactivate`)
      .expect(200);
    assert.equal(functionStatuses(off.body).medical, 'inactive');
    await api('callCenter')
      .post(`/api/v1/cards/${cardNo}/loss-reports`, {
        kind: 'temporary',
        verification: { name: resident.name, idNumber: resident.idNumber },
      })
      .expect(201);
    const res = await api('counterDL').post(`/api/v1/cards/${cardNo}/functions/medical/activate`).expect(409);
    assert.equal(res.body.code, 'INVALID_STATE');
    const unknown = await api('counterDL')
      .post(`/api/v1/cards/${cardNo}/functions/teleport/activate`)
      .expect(404);
    assert.equal(unknown.body.code, 'FUNCTION_NOT_FOUND');
  });
});
