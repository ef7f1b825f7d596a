import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import request from 'supertest';
import { api, auditEvents } from '../../support/builders';
import { runCli, textOfRows } from '../../support/cli';
import { harness } from '../../support/harness';

describe('npm run cli -- operator:create', function () {
  this.timeout(60000);

  it('when a counter operator is created, then its token is printed alone on the last line, works as a Bearer token and only its hash is stored', async () => {
    const h = harness();
    const { stdout } = await runCli(
      'operator:create',
      '--role',
      'counter',
      '--centre',
      'DL',
      '--name',
      '梁敏',
    );
    const lines = stdout.trimEnd().split('\n');
    assert.equal(lines.length, 2, stdout);
    const operatorId = /^Created counter operator (\S+)\. Its token is shown this once:$/.exec(
      lines[0]!,
    )?.[1];
    assert.ok(operatorId, lines[0]);
    const token = lines[1]!;
    assert.match(token, /^op_[A-Za-z0-9_-]{43}$/);

    const functions = await request(h.app)
      .get('/api/v1/functions')
      .set('Authorization', `Bearer ${token}`)
      .expect(200);
    const asKnownCounter = await api('counterDL').get('/api/v1/functions').expect(200);
    assert.deepEqual(functions.body, asKnownCounter.body);

    const row = (await h.deps.db('operators').where('public_id', operatorId).first()) as Record<
      string,
      unknown
    >;
    assert.equal(row.name, '梁敏');
    assert.equal(row.role, 'counter');
    assert.equal(row.centre_code, 'DL');
    assert.equal(row.disabled_at, null);
    assert.deepEqual(row.token_hash, createHash('sha256').update(token, 'utf8').digest());
    const stored = textOfRows((await h.deps.db('operators').select('*')) as Array<Record<string, unknown>>);
    assert.ok(!stored.includes(token.slice(3)), 'no operator row holds the token');
    const events = await auditEvents('operator', operatorId);
    assert.deepEqual(
      events.map((e) => e.action),
      ['operator.created'],
    );
    assert.ok(!JSON.stringify(events).includes(token.slice(3)), 'the audit trail does not hold the token');
  });
});

describe('npm run cli -- operator:disable', function () {
  this.timeout(60000);

  it('when an operator is disabled, then its token gets 401, the change is audited, and disabling again says so', async () => {
    const h = harness();
    const created = await runCli('operator:create', '--role', 'call_center', '--name', '何咏诗');
    const [first, token] = created.stdout.trimEnd().split('\n');
    const operatorId = /^Created call_center operator (\S+)\./.exec(first!)?.[1];
    assert.ok(operatorId && token, created.stdout);

    const disabled = await runCli('operator:disable', '--id', operatorId);
    assert.equal(
      disabled.stdout.trimEnd(),
      `Disabled operator ${operatorId}: its token stops working within 10 seconds on every API process.`,
    );
    const refused = await request(h.app)
      .get('/api/v1/functions')
      .set('Authorization', `Bearer ${token}`)
      .expect(401);
    assert.equal(refused.body.code, 'UNAUTHENTICATED');
    assert.deepEqual(
      (await auditEvents('operator', operatorId)).map((e) => e.action),
      ['operator.created', 'operator.disabled'],
    );

    const again = await runCli('operator:disable', '--id', operatorId);
    assert.equal(again.stdout.trimEnd(), `Operator ${operatorId} was already disabled.`);
    await assert.rejects(
      runCli('operator:disable', '--id', 'no-such-operator'),
      (err: { stderr: string }) => {
        assert.match(err.stderr, /Unknown operator no-such-operator/);
        return true;
      },
    );
  });
});
