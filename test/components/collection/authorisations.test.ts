import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import request from 'supertest';
import { buildApp } from '../../../src/app';
import { api, auditEvents } from '../../support/builders';
import {
  as,
  collectionSetup,
  collector,
  createTeam,
  daysFromToday,
  issueLetter,
  upload,
  validRow,
  csvOf,
} from '../../support/collection';
import { harness } from '../../support/harness';

/** A client address of the test's own, so that no other test's checks count against its limit. */
function clientAddress(): string {
  const part = () => randomInt(0x10000).toString(16);
  return `2001:db8::${part()}:${part()}:${part()}`;
}

function publicCheck(authorisationNo: string, code: string, address = clientAddress()) {
  return request(harness().app)
    .get(`/api/v1/public/authorisations/${authorisationNo}?code=${encodeURIComponent(code)}`)
    .set('X-Forwarded-For', address);
}

describe('POST /api/v1/collection-teams', () => {
  it('when an admin creates a team, then 201 with its id, name and town, and an audit event', async () => {
    const res = await api('admin')
      .post('/api/v1/collection-teams', { name: '大良街道升平社区采集队', town: '大良街道' })
      .expect(201);
    assert.match(res.body.id, /^[0-9a-f-]{36}$/);
    assert.deepEqual(res.body, { id: res.body.id, name: '大良街道升平社区采集队', town: '大良街道' });
    const events = await auditEvents('collection_team', res.body.id);
    assert.deepEqual(
      events.map((e) => e.action),
      ['collection_team.created'],
    );
  });

  it('when the town is not in Shunde, then 422; when a counter asks, then 403', async () => {
    const bad = await api('admin')
      .post('/api/v1/collection-teams', { name: '队', town: '天河区' })
      .expect(422);
    assert.equal(bad.body.code, 'VALIDATION_FAILED');
    assert.deepEqual(
      bad.body.errors.map((e: { field: string }) => e.field),
      ['town'],
    );
    const counter = await api('counterDL')
      .post('/api/v1/collection-teams', { name: '队', town: '大良街道' })
      .expect(403);
    assert.equal(counter.body.code, 'FORBIDDEN');
  });
});

describe('POST /api/v1/collection-teams/:id/authorisations', () => {
  it('when an admin issues a letter for two towns, then 201 with a number, a six-character code and the period', async () => {
    const team = await createTeam();
    const res = await api('admin')
      .post(`/api/v1/collection-teams/${team.id}/authorisations`, {
        area: ['容桂街道', '大良街道', '容桂街道'],
        validFrom: '2026-11-01',
        validUntil: '2027-01-31',
      })
      .expect(201);
    assert.match(res.body.authorisationNo, /^SQ\d{10}$/);
    assert.match(res.body.verifyCode, /^[A-Z2-9]{6}$/);
    assert.deepEqual(res.body.area, ['大良街道', '容桂街道']);
    assert.equal(res.body.validFrom, '2026-11-01');
    assert.equal(res.body.validUntil, '2027-01-31');
    assert.equal(res.body.teamId, team.id);
    const events = await auditEvents('authorisation', res.body.authorisationNo);
    assert.deepEqual(
      events.map((e) => e.action),
      ['authorisation.issued'],
    );
    // the code is never stored or logged in clear: it appears in no audit event
    assert.ok(!JSON.stringify(events).includes(res.body.verifyCode));
  });

  it('when the team is unknown, the period ends before it starts or a town is unknown, then 404 or 422', async () => {
    const unknown = await api('admin')
      .post('/api/v1/collection-teams/6f1c1b7e-0000-4000-8000-000000000000/authorisations', {
        area: 'ALL',
        validFrom: '2026-11-01',
        validUntil: '2026-11-30',
      })
      .expect(404);
    assert.equal(unknown.body.code, 'TEAM_NOT_FOUND');
    const team = await createTeam();
    const backwards = await api('admin')
      .post(`/api/v1/collection-teams/${team.id}/authorisations`, {
        area: 'ALL',
        validFrom: '2026-11-30',
        validUntil: '2026-11-01',
      })
      .expect(422);
    assert.deepEqual(backwards.body.errors[0].field, 'validUntil');
    const town = await api('admin')
      .post(`/api/v1/collection-teams/${team.id}/authorisations`, {
        area: ['大良街道', '越秀区'],
        validFrom: '2026-11-01',
        validUntil: '2026-11-30',
      })
      .expect(422);
    assert.equal(town.body.errors[0].field, 'area');
    const notADate = await api('admin')
      .post(`/api/v1/collection-teams/${team.id}/authorisations`, {
        area: 'ALL',
        validFrom: '2026-02-30',
        validUntil: '2026-11-30',
      })
      .expect(422);
    assert.equal(notADate.body.errors[0].field, 'validFrom');
  });
});

describe('GET /api/v1/public/authorisations/:authorisationNo', () => {
  it('when number and code match, then the team, its collectors in full, area and validity, and nothing else', async () => {
    const team = await createTeam('容桂街道华口社区采集队', '容桂街道');
    await collector(team.id, '欧阳嘉欣');
    await collector(team.id, '阿依古丽·买买提');
    const letter = await issueLetter(team.id, {
      area: ['容桂街道'],
      validFrom: daysFromToday(-10),
      validUntil: daysFromToday(10),
    });
    const res = await publicCheck(letter.authorisationNo, letter.verifyCode.toLowerCase()).expect(200);
    assert.deepEqual(res.body, {
      authorisationNo: letter.authorisationNo,
      team: '容桂街道华口社区采集队',
      members: ['欧阳嘉欣', '阿依古丽·买买提'],
      area: ['容桂街道'],
      validFrom: daysFromToday(-10),
      validUntil: daysFromToday(10),
      valid: true,
      status: 'active',
    });
    assert.equal(res.headers['cache-control'], 'no-store');
  });

  it('when the code or the number is wrong, then 404 AUTHORISATION_NOT_FOUND', async () => {
    const { letter } = await collectionSetup();
    const wrongCode = await publicCheck(letter.authorisationNo, 'ZZZZZZ').expect(404);
    assert.equal(wrongCode.body.code, 'AUTHORISATION_NOT_FOUND');
    assert.equal(wrongCode.headers['content-type'], 'application/problem+json; charset=utf-8');
    const wrongNo = await publicCheck('SQ0000000000', letter.verifyCode).expect(404);
    assert.equal(wrongNo.body.code, 'AUTHORISATION_NOT_FOUND');
  });

  it('when a letter has expired or is not yet valid, then valid is false and uploading under it is 403', async () => {
    const team = await createTeam();
    const token = await collector(team.id);
    const expired = await issueLetter(team.id, {
      validFrom: daysFromToday(-60),
      validUntil: daysFromToday(-1),
    });
    const future = await issueLetter(team.id, { validFrom: daysFromToday(1), validUntil: daysFromToday(60) });

    const old = await publicCheck(expired.authorisationNo, expired.verifyCode).expect(200);
    assert.equal(old.body.valid, false);
    assert.equal(old.body.status, 'expired');
    const early = await publicCheck(future.authorisationNo, future.verifyCode).expect(200);
    assert.equal(early.body.valid, false);
    assert.equal(early.body.status, 'not_yet_valid');

    const csv = csvOf([validRow()]);
    for (const letter of [expired, future]) {
      const res = await upload(token, letter.authorisationNo, csv).expect(403);
      assert.equal(res.body.code, 'AUTHORISATION_INVALID');
    }
  });

  it('when more checks come from one address than the limit allows, then 429 RATE_LIMITED with Retry-After', async () => {
    const h = harness();
    const strict = buildApp({ ...h.deps, config: { ...h.config, publicRateLimitPerMinute: 3 } });
    const { letter } = await collectionSetup();
    const address = clientAddress();
    const check = () =>
      request(strict)
        .get(`/api/v1/public/authorisations/${letter.authorisationNo}?code=${letter.verifyCode}`)
        .set('X-Forwarded-For', address);
    for (let i = 0; i < 3; i++) await check().expect(200);
    const limited = await check().expect(429);
    assert.equal(limited.body.code, 'RATE_LIMITED');
    assert.equal(limited.headers['content-type'], 'application/problem+json; charset=utf-8');
    const retryAfter = Number(limited.headers['retry-after']);
    assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${limited.headers['retry-after']}`);
    // wrong codes count too: guessing is what the limit is for
    const guess = await request(strict)
      .get(`/api/v1/public/authorisations/${letter.authorisationNo}?code=AAAAAA`)
      .set('X-Forwarded-For', address)
      .expect(429);
    assert.equal(guess.body.code, 'RATE_LIMITED');
    // another address is not affected
    await request(strict)
      .get(`/api/v1/public/authorisations/${letter.authorisationNo}?code=${letter.verifyCode}`)
      .set('X-Forwarded-For', clientAddress())
      .expect(200);
  });
});

describe('public check behind no trusted proxy', () => {
  it('when X-Forwarded-For is sent but no proxy is trusted, then the connection’s address is limited, whatever the header says', async () => {
    const h = harness();
    const direct = buildApp({
      ...h.deps,
      config: {
        ...h.config,
        trustProxy: false,
        publicRateLimitPerMinute: 2,
        queuePrefix: `${h.config.queuePrefix}-direct-${Date.now()}`,
      },
    });
    const { letter } = await collectionSetup();
    const check = () =>
      request(direct)
        .get(`/api/v1/public/authorisations/${letter.authorisationNo}?code=${letter.verifyCode}`)
        .set('X-Forwarded-For', clientAddress());
    await check().expect(200);
    await check().expect(200);
    await check().expect(429);
  });
});

describe('POST /api/v1/authorisations/:authorisationNo/revoke', () => {
  it('when an admin revokes a letter, then the public check says revoked and uploads under it are 403', async () => {
    const { token, letter } = await collectionSetup();
    const res = await api('admin')
      .post(`/api/v1/authorisations/${letter.authorisationNo}/revoke`)
      .expect(200);
    assert.equal(res.body.status, 'revoked');
    assert.ok(res.body.revokedAt);
    const again = await api('admin')
      .post(`/api/v1/authorisations/${letter.authorisationNo}/revoke`)
      .expect(200);
    assert.equal(again.body.revokedAt, res.body.revokedAt);

    const check = await publicCheck(letter.authorisationNo, letter.verifyCode).expect(200);
    assert.equal(check.body.valid, false);
    assert.equal(check.body.status, 'revoked');
    const refused = await upload(token, letter.authorisationNo, csvOf([validRow()])).expect(403);
    assert.equal(refused.body.code, 'AUTHORISATION_INVALID');
    const events = await auditEvents('authorisation', letter.authorisationNo);
    assert.deepEqual(
      events.map((e) => e.action),
      ['authorisation.issued', 'authorisation.revoked'],
    );
  });

  it('when a collector or an unknown number, then 403 or 404', async () => {
    const { token, letter } = await collectionSetup();
    await as(token).post(`/api/v1/authorisations/${letter.authorisationNo}/revoke`).expect(403);
    const res = await api('admin').post('/api/v1/authorisations/SQ0000000000/revoke').expect(404);
    assert.equal(res.body.code, 'AUTHORISATION_NOT_FOUND');
  });
});
