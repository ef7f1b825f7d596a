import assert from 'node:assert/strict';
import { cachedCatalogue, forgetCatalogue } from '../../../src/components/functions/repository';
import { createDb, inTransaction } from '../../../src/platform/db';
import { harness } from '../../support/harness';

/**
 * The catalogue is read inside card transactions (to suspend every function on a loss report) and
 * outside them (card views). A transaction holding the pool's last connection must never wait for a
 * read that needs another one.
 */
describe('the cached function catalogue', () => {
  it('when a transaction holds the only pooled connection and a read outside it is queued for one, then the transaction still gets the catalogue', async () => {
    const pool = createDb(harness().config.databaseUrl, 1);
    try {
      forgetCatalogue();
      let outside: Promise<unknown> | undefined;
      const inside = await inTransaction(pool, async (trx) => {
        // queued behind this transaction for the pool's one connection
        outside = cachedCatalogue(pool);
        const codes = (await cachedCatalogue(trx)).map((f) => f.code);
        return codes;
      });
      assert.deepEqual(inside, ['financial', 'medical', 'social_security', 'bicycle', 'library', 'parking']);
      assert.equal(((await outside) as unknown[]).length, 6);
    } finally {
      forgetCatalogue();
      await pool.destroy();
    }
  });

  it('when the catalogue is forgotten while a read of it is under way, then that read is not kept', async () => {
    const { db } = harness().deps;
    forgetCatalogue();
    const before = cachedCatalogue(db);
    forgetCatalogue();
    await db('functions').where({ code: 'library' }).update({ availability: 'open' });
    try {
      await before;
      const after = await cachedCatalogue(db);
      assert.equal(after.find((f) => f.code === 'library')?.availability, 'open');
    } finally {
      await db('functions').where({ code: 'library' }).update({ availability: 'planned' });
      forgetCatalogue();
    }
  });
});
