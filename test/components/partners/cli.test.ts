import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import request from 'supertest';
import { runCli, textOfRows } from '../../support/cli';
import { harness } from '../../support/harness';

function asPartner(key: string) {
  return request(harness().app).get('/api/v1/partner/hotlist').set('Authorization', `Bearer ${key}`);
}

describe('npm run cli -- partner:create and partner:revoke', function () {
  this.timeout(60000);

  it('when a partner is created, then its key is printed alone on the last line, works on the hotlist, is stored only as a hash and stops once revoked', async () => {
    const h = harness();
    const created = await runCli(
      'partner:create',
      '--name',
      '图书馆自助借还',
      '--department',
      '顺德图书馆',
      '--scopes',
      'card.read,hotlist.read',
    );
    const lines = created.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 2, created.stdout);
    const partnerId = /^Created partner (\S+)\. Its key is shown this once:$/.exec(lines[0]!)?.[1];
    assert.ok(partnerId, lines[0]);
    const key = lines[1]!;
    assert.match(key, /^pk_[A-Za-z0-9_-]{43}$/);

    const hotlist = await asPartner(key).expect(200);
    assert.ok(Array.isArray(hotlist.body.items));

    const row = (await h.deps.db('partners').where('public_id', partnerId).first()) as Record<
      string,
      unknown
    >;
    assert.equal(row.name, '图书馆自助借还');
    assert.equal(row.department, '顺德图书馆');
    assert.equal(row.scopes, 'card.read,hotlist.read');
    assert.equal(row.status, 'active');
    assert.deepEqual(row.key_hash, createHash('sha256').update(key, 'utf8').digest());
    const stored = textOfRows((await h.deps.db('partners').select('*')) as Array<Record<string, unknown>>);
    assert.ok(!stored.includes(key.slice(3)), 'no partner row holds the key');

    const revoked = await runCli('partner:revoke', '--id', partnerId);
    assert.equal(revoked.stdout.trimEnd(), `Revoked partner ${partnerId}: its key no longer works.`);
    const refused = await asPartner(key).expect(401);
    assert.equal(refused.body.code, 'UNAUTHENTICATED');
    const after = (await h.deps.db('partners').where('public_id', partnerId).first()) as Record<
      string,
      unknown
    >;
    assert.equal(after.status, 'revoked');
    assert.ok(after.revoked_at instanceof Date);
  });
});
