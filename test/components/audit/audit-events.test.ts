import assert from 'node:assert/strict';
import { addDays, localDate } from '../../../src/platform/dates';
import { api, registerResident } from '../../support/builders';

describe('GET /api/v1/audit-events', () => {
  it('when from and to name the same Shunde day, then that whole day’s events come back', async () => {
    const resident = await registerResident({ age: 30 });
    const today = localDate(new Date());
    const base = `/api/v1/audit-events?entityType=resident&entityId=${resident.id}`;
    const sameDay = await api('auditor').get(`${base}&from=${today}&to=${today}`).expect(200);
    assert.deepEqual(
      sameDay.body.items.map((e: { action: string }) => e.action),
      ['resident.registered'],
    );
    assert.equal(
      sameDay.body.items[0].after.idNumber,
      `${resident.idNumber.slice(0, 6)}********${resident.idNumber.slice(14)}`,
    );
    const yesterday = await api('auditor')
      .get(`${base}&to=${addDays(today, -1)}`)
      .expect(200);
    assert.deepEqual(yesterday.body.items, []);
    const bad = await api('auditor').get(`${base}&from=2026-02-30`).expect(422);
    assert.equal(bad.body.errors[0].field, 'from');
    await api('counterDL').get(base).expect(403);
  });
});
