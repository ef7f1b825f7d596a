import assert from 'node:assert/strict';
import { AppError, CommonErrors, raise } from '../../src/platform/errors';
import { createDb, firstRow, inOneRoundTrip, inTransaction, inTwoRoundTrips } from '../../src/platform/db';
import { requestScope, type CommitHook } from '../../src/platform/request-context';
import { harness } from '../support/harness';

/** Statements sent together must behave as if sent one by one: in order, all or nothing. */
describe('statements sent in one round trip', () => {
  const marker = (n: number) => `round-trip-test-${n}-${Date.now()}`;

  /** A hotlist row for a card that does not exist: the foreign key refuses it. */
  const hotlistRowOfNoCard = () => ({
    card_id: 999999999,
    card_no: 'none',
    usable: false,
    reason: 'x',
    at: new Date(),
  });

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
          trx('hotlist').insert(hotlistRowOfNoCard()),
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
    const [centre, nothing] = await inTwoRoundTrips(
      db,
      () => [
        firstRow(db('service_centres').where('code', 'DL').select('code'), (r: { code: string }) => r.code),
        firstRow(db('service_centres').where('code', 'NONE').select('code'), (r: { code: string }) => r.code),
      ],
      (values) => ({ writes: [], value: values }),
    );
    assert.equal(centre, 'DL');
    assert.equal(nothing, undefined);
  });

  describe('a transaction in two round trips', () => {
    const count = async (action: string) =>
      Number(
        (
          (await harness().deps.db('audit_events').where('action', action).count({ n: '*' }).first()) as {
            n: number | string;
          }
        ).n,
      );

    it('when it reads, writes and reads back, then the writes are committed and the read back sees them', async () => {
      const { db } = harness().deps;
      const action = marker(3);
      const seen = await inTwoRoundTrips(
        db,
        () => [
          firstRow(db('service_centres').where('code', 'DL').select('code'), (r: { code: string }) => r.code),
        ],
        ([centre]) => ({
          writes: [db('audit_events').insert({ ...auditRow(action), entity_id: centre! }), undefined],
          readBack: firstRow(
            db('audit_events').where('action', action).select('entity_id'),
            (r: { entity_id: string }) => r.entity_id,
          ),
        }),
      );
      assert.equal(seen, 'DL');
      assert.equal(await count(action), 1);
    });

    it('when the decision refuses, or a write fails, then nothing is kept and the connection goes back to the pool', async () => {
      // one connection: were it not given back, the second and third transactions would wait forever
      const pool = createDb(harness().config.databaseUrl, 1);
      try {
        const action = marker(4);
        await assert.rejects(
          inTwoRoundTrips(
            pool,
            () => [
              firstRow(
                pool('service_centres').where('code', 'DL').select('code'),
                (r: { code: string }) => r.code,
              ),
            ],
            () => raise(CommonErrors.INVALID_STATE),
          ),
          AppError,
        );
        await assert.rejects(
          inTwoRoundTrips(
            pool,
            () => [],
            () => ({
              writes: [
                pool('audit_events').insert(auditRow(action)),
                pool('hotlist').insert(hotlistRowOfNoCard()),
              ],
              value: 'unreachable',
            }),
          ),
          (err: Error & { errno?: number }) => err.errno === 1452,
        );
        assert.equal(await count(action), 0);
        const after = await inTwoRoundTrips(
          pool,
          () => [],
          () => ({
            writes: [pool('audit_events').insert(auditRow(action))],
            value: 'written',
          }),
        );
        assert.equal(after, 'written');
        assert.equal(await count(action), 1);
      } finally {
        await pool.destroy();
      }
    });

    it("when the request's idempotency claim was taken over, then it refuses with IDEMPOTENCY_IN_PROGRESS and writes nothing", async () => {
      const { db } = harness().deps;
      const action = marker(5);
      let rolledBack = 0;
      const takenOver: CommitHook = {
        // a claim no longer this request's: the mark updates no row
        markIn: (conn) => ({
          statement: conn('idempotency_keys')
            .where({ caller: 'nobody', idem_key: action })
            .update({ state: 'applied' }),
          check: (result) => {
            if ((result as { affectedRows: number }).affectedRows !== 1)
              raise(CommonErrors.IDEMPOTENCY_IN_PROGRESS);
          },
        }),
        committed: () => assert.fail('must not commit'),
        rolledBack: () => rolledBack++,
      };
      await assert.rejects(
        requestScope.run({ reqId: 'r', operatorId: null, role: null, commitHook: takenOver }, () =>
          inTwoRoundTrips(
            db,
            () => [],
            () => ({ writes: [db('audit_events').insert(auditRow(action))], value: 1 }),
          ),
        ),
        (err: AppError) => err.code === 'IDEMPOTENCY_IN_PROGRESS',
      );
      assert.equal(rolledBack, 1);
      assert.equal(await count(action), 0);
    });
  });
});
