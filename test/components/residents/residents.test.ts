import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  api,
  auditEvents,
  bornYearsAgo,
  idNumberFor,
  mobile,
  registerResident,
} from '../../support/builders';
import { harness } from '../../support/harness';

describe('POST /api/v1/residents', () => {
  it('when the identity number ends in a lower-case x, then it is stored upper-case', async () => {
    const phone = mobile();
    const res = await api('counterDL')
      .post('/api/v1/residents', { idNumber: '11010519491231002x', name: '𠮷田', phone, town: '容桂街道' })
      .expect((r) => assert.ok([200, 201].includes(r.status)));
    assert.equal(res.body.idNumber, '11010519491231002X');
    assert.equal(res.body.name, '𠮷田');
    assert.equal(res.body.birthDate, '1949-12-31');
    assert.equal(res.body.gender, 'F');
    const found = await api('counterDL')
      .post('/api/v1/residents/lookup', { idNumber: '11010519491231002X' })
      .expect(200);
    assert.equal(found.body.id, res.body.id);
  });

  it('when names carry look-alike middle dots and rare characters, then they come back normalised and intact', async () => {
    const idNumber = idNumberFor('1988-04-12');
    const res = await api('counterDL')
      .post('/api/v1/residents', {
        idNumber,
        name: ' 阿依古丽•买买提　',
        phone: '+86 138 0013 8000',
        town: '大良街道',
      })
      .expect(201);
    assert.equal(res.body.name, '阿依古丽·买买提');
    assert.equal(res.body.phone, '13800138000');
    const rare = await api('counterDL')
      .post('/api/v1/residents', {
        idNumber: idNumberFor('1990-01-02'),
        name: '𠮷田',
        phone: mobile(),
        town: '大良街道',
      })
      .expect(201);
    const again = await api('counterDL').get(`/api/v1/residents/${rare.body.id}`).expect(200);
    assert.equal(again.body.name, '𠮷田');
  });

  it('when the identity number names 30 February, then 422 ID_BIRTHDATE', async () => {
    const res = await api('counterDL')
      .post('/api/v1/residents', {
        idNumber: '110105200002301237',
        name: '梁敏',
        phone: mobile(),
        town: '大良街道',
      })
      .expect(422);
    assert.equal(res.body.code, 'VALIDATION_FAILED');
    assert.deepEqual(res.body.errors, [
      { field: 'idNumber', code: 'ID_BIRTHDATE', message: res.body.errors[0].message },
    ]);
  });

  it('when field formats are wrong, then each field gets its own code', async () => {
    const res = await api('counterDL')
      .post('/api/v1/residents', {
        idNumber: 440606199001011,
        name: '梁敏2',
        phone: '12345',
        town: '大良街道',
        guardian: { name: '陈伟', idNumber: '44060619900101123', relation: '父亲' },
      })
      .expect(422);
    const codes = Object.fromEntries(
      res.body.errors.map((e: { field: string; code: string }) => [e.field, e.code]),
    );
    assert.deepEqual(codes, {
      idNumber: 'INVALID',
      name: 'NAME_INVALID',
      phone: 'PHONE_INVALID',
      'guardian.idNumber': 'ID_FORMAT',
    });
  });

  it('when the name or the phone is an empty string, then 422 NAME_MISSING and PHONE_INVALID and nothing is written', async () => {
    const idNumber = idNumberFor('1991-02-03');
    const res = await api('counterDL')
      .post('/api/v1/residents', { idNumber, name: '', phone: '', town: '大良街道' })
      .expect(422);
    const codes = Object.fromEntries(
      res.body.errors.map((e: { field: string; code: string }) => [e.field, e.code]),
    );
    assert.deepEqual(codes, { name: 'NAME_MISSING', phone: 'PHONE_INVALID' });
    const { db, vault } = harness().deps;
    assert.equal(
      await db('residents').where('id_number_hash', vault.lookupHash(idNumber)).first('id'),
      undefined,
    );
  });

  it('when the identity check character is wrong, then ID_CHECKSUM; when 15 digits, then ID_FORMAT', async () => {
    const good = idNumberFor('1985-03-07');
    const bad = good.slice(0, 17) + (good[17] === '0' ? '1' : '0');
    const r1 = await api('counterDL')
      .post('/api/v1/residents', { idNumber: bad, name: '梁敏', phone: mobile(), town: '大良街道' })
      .expect(422);
    assert.equal(r1.body.errors[0].code, 'ID_CHECKSUM');
    const r2 = await api('counterDL')
      .post('/api/v1/residents', {
        idNumber: good.slice(0, 15),
        name: '梁敏',
        phone: mobile(),
        town: '大良街道',
      })
      .expect(422);
    assert.equal(r2.body.errors[0].code, 'ID_FORMAT');
  });

  it('when the gender given disagrees with the identity number, then 422 GENDER_MISMATCH', async () => {
    const res = await api('counterDL')
      .post('/api/v1/residents', {
        idNumber: idNumberFor('1985-03-07', 'M'),
        name: '梁敏',
        gender: '女',
        phone: mobile(),
        town: '大良街道',
      })
      .expect(422);
    assert.equal(res.body.code, 'GENDER_MISMATCH');
  });

  it('when a known number comes again with the same name, then 200 and the contact data is updated once in the audit', async () => {
    const resident = await registerResident({ age: 50 });
    const phone = mobile();
    const res = await api('counterDL')
      .post('/api/v1/residents', { idNumber: resident.idNumber, name: resident.name, phone, town: '乐从镇' })
      .expect(200);
    assert.equal(res.body.id, resident.id);
    assert.equal(res.body.phone, phone);
    assert.equal(res.body.town, '乐从镇');
    const actions = (await auditEvents('resident', resident.id)).map((e) => e.action);
    assert.deepEqual(actions, ['resident.registered', 'resident.updated']);
    const conflict = await api('counterDL')
      .post('/api/v1/residents', { idNumber: resident.idNumber, name: '陈大文', phone, town: '乐从镇' })
      .expect(409);
    assert.equal(conflict.body.code, 'RESIDENT_CONFLICT');
  });

  it('when the call centre reads a resident, then every personal field is masked', async () => {
    const resident = await registerResident({ age: 30, name: '欧阳咏诗' });
    const res = await api('callCenter').get(`/api/v1/residents/${resident.id}`).expect(200);
    assert.equal(res.body.idNumber, `${resident.idNumber.slice(0, 6)}********${resident.idNumber.slice(14)}`);
    assert.equal(res.body.phone, `${resident.phone.slice(0, 3)}****${resident.phone.slice(7)}`);
    assert.equal(res.body.name, '欧**诗');
    await api('callCenter')
      .post('/api/v1/residents', {
        idNumber: resident.idNumber,
        name: '欧阳咏诗',
        phone: mobile(),
        town: '大良街道',
      })
      .expect(403);
  });

  it('when the lookup number is unknown, then 404 RESIDENT_NOT_FOUND', async () => {
    const res = await api('counterDL')
      .post('/api/v1/residents/lookup', { idNumber: idNumberFor('1977-07-07') })
      .expect(404);
    assert.equal(res.body.code, 'RESIDENT_NOT_FOUND');
  });

  it('when read by processes in UTC and in Asia/Shanghai, then the birth date is the same string', async () => {
    const resident = await registerResident({ birthDate: '1990-01-01' });
    const script = `
      const { loadConfig } = require('./src/config');
      const { createDb } = require('./src/platform/db');
      const db = createDb(loadConfig().databaseUrl, 1);
      db('residents').where('public_id', process.argv[1]).first('birth_date')
        .then((r) => { process.stdout.write(String(r.birth_date)); return db.destroy(); });`;
    const read = (tz: string) =>
      execFileSync('npx', ['tsx', '-e', script, resident.id], {
        env: { ...process.env, TZ: tz, DATABASE_URL: harness().config.databaseUrl },
        encoding: 'utf8',
      });
    assert.equal(read('UTC'), '1990-01-01');
    assert.equal(read('Asia/Shanghai'), '1990-01-01');
    const viaApi = await api('counterDL').get(`/api/v1/residents/${resident.id}`).expect(200);
    assert.equal(viaApi.body.birthDate, '1990-01-01');
  });

  it('when the guardian is the child or another child, then 422 naming guardian.idNumber', async () => {
    const childId = idNumberFor(bornYearsAgo(11));
    for (const guardianId of [childId, idNumberFor(bornYearsAgo(8))]) {
      const res = await api('counterDL')
        .post('/api/v1/residents', {
          idNumber: childId,
          name: '梁小敏',
          phone: mobile(),
          town: '大良街道',
          guardian: { name: '梁敏', idNumber: guardianId, relation: '母亲' },
        })
        .expect(422);
      assert.deepEqual(
        res.body.errors.map((e: { field: string; code: string }) => [e.field, e.code]),
        [['guardian.idNumber', 'INVALID']],
      );
    }
  });

  it('when a minor is registered without a guardian, then it is accepted (the guardian is needed to apply)', async () => {
    await registerResident({ birthDate: bornYearsAgo(8) });
  });
});
