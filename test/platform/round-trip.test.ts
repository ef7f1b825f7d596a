import assert from 'node:assert/strict';
import { firstRow, inOneRoundTrip, inTransaction, readTogether } from '../../src/platform/db';
import { harness } from '../support/harness';

/** Statements sent together must behave as if sent one by one: in order, all or nothing. */
describe('statements sent in one round trip', () => {
  const marker = (n: number) => `round-trip-test-${n}-${Date.now()}`;

  const auditRow = (action: string) => ({
    at: new Date(),
    action,
    entity_type: 'test',
    entity_id: 'x',
    channel: 'system',
  });

  it('when every statement succeeds, then each result comes back in order and later reads see earlier writes', async () => {
    const { db } = harness().deps;
    const action = marker(1);
    const results = await inTransaction(db, (trx) =>
      inOneRoundTrip(trx, [
        trx('audit_events').insert(auditRow(action)),
        undefined,
        trx('audit_events').insert(auditRow(action)),
        trx('audit_events').where('action', action).count({ n: '*' }),
      ]),
    );
    assert.equal(results.length, 3);
    assert.equal((results[0] as { affectedRows: number }).affectedRows, 1);
    assert.equal(Number((results[2] as Array<{ n: number | string }>)[0]!.n), 2);
  });

  it('when a statement in the middle fails, then its error is thrown and nothing of the batch is kept', async () => {
    const { db } = harness().deps;
    const action = marker(2);
    await assert.rejects(
      inTransaction(db, (trx) =>
        inOneRoundTrip(trx, [
          trx('audit_events').insert(auditRow(action)),
          // the card does not exist: the foreign key refuses the row
          trx('hotlist').insert({
            card_id: 999999999,
            card_no: 'none',
            usable: false,
            reason: 'x',
            at: new Date(),
          }),
          trx('audit_events').insert(auditRow(action)),
        ]),
      ),
      (err: Error & { errno?: number }) => err.errno === 1452,
    );
    const left = await db('audit_events').where('action', action).count({ n: '*' }).first();
    assert.equal(Number((left as { n: number | string }).n), 0);
  });

  it('when reads travel together, then each is mapped by its own mapper, a missing row as undefined', async () => {
    const { db } = harness().deps;
    const [centre, nothing] = await readTogether(db, [
      firstRow(db('service_centres').where('code', 'DL').select('code'), (r: { code: string }) => r.code),
      firstRow(db('service_centres').where('code', 'NONE').select('code'), (r: { code: string }) => r.code),
    ]);
    assert.equal(centre, 'DL');
    assert.equal(nothing, undefined);
  });
});
