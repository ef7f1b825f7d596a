import assert from 'node:assert/strict';
import { api } from '../../support/builders';
import { harness } from '../../support/harness';
import { addDays, localDate } from '../../../src/platform/dates';

describe('GET/POST /api/v1/fee-schedule', () => {
  it('when a row effective tomorrow is added, then today’s fee is unchanged and tomorrow’s is the new one', async () => {
    const today = localDate(harness().clock.now());
    const tomorrow = addDays(today, 1);
    const before = await api('counterDL').get('/api/v1/fee-schedule').expect(200);
    const replacementToday = before.body.items.find((i: { item: string }) => i.item === 'replacement');
    assert.equal(replacementToday.amountFen, 2000);

    const added = await api('admin')
      .post('/api/v1/fee-schedule', {
        item: 'replacement',
        amountFen: 2500,
        effectiveFrom: tomorrow,
        documentNo: '顺价〔2026〕12号',
      })
      .expect(201);
    assert.deepEqual(added.body, {
      item: 'replacement',
      amountFen: 2500,
      effectiveFrom: tomorrow,
      documentNo: '顺价〔2026〕12号',
    });

    const todayAfter = await api('counterDL').get('/api/v1/fee-schedule').expect(200);
    assert.equal(
      todayAfter.body.items.find((i: { item: string }) => i.item === 'replacement').amountFen,
      2000,
    );
    const onTomorrow = await api('counterDL').get(`/api/v1/fee-schedule?on=${tomorrow}`).expect(200);
    assert.equal(
      onTomorrow.body.items.find((i: { item: string }) => i.item === 'replacement').amountFen,
      2500,
    );
    // leave the schedule as the other tests expect it from the day after tomorrow on too
    await api('admin')
      .post('/api/v1/fee-schedule', {
        item: 'replacement',
        amountFen: 2000,
        effectiveFrom: tomorrow,
        documentNo: '顺价〔2026〕13号',
      })
      .expect((r) => assert.equal(r.status, 201, JSON.stringify(r.body)));
  });

  it('when a day is not a date, then the field is named once', async () => {
    const res = await api('counterDL').get('/api/v1/fee-schedule?on=abc').expect(422);
    assert.deepEqual(
      res.body.errors.map((e: { field: string; code: string }) => [e.field, e.code]),
      [['on', 'INVALID']],
    );
  });

  it('when the amount is not an integer or a counter posts, then 422 and 403', async () => {
    const bad = await api('admin')
      .post('/api/v1/fee-schedule', {
        item: 'exchange',
        amountFen: 20.5,
        effectiveFrom: '2030-01-01',
        documentNo: 'x',
      })
      .expect(422);
    assert.equal(bad.body.errors[0].field, 'amountFen');
    await api('counterDL')
      .post('/api/v1/fee-schedule', {
        item: 'exchange',
        amountFen: 2000,
        effectiveFrom: '2030-01-01',
        documentNo: 'x',
      })
      .expect(403);
  });
});
