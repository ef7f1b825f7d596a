import assert from 'node:assert/strict';
import { Workbook } from 'exceljs';
import request from 'supertest';
import { CHUNK_ROWS, importBatch as importJob } from '../../../src/components/collection';
import {
  api,
  applyFor,
  auditEvents,
  bornYearsAgo,
  idNumberFor,
  issuedSecrets,
  registerResident,
  residentWithActiveCard,
} from '../../support/builders';
import {
  allRejections,
  as,
  collectionSetup,
  csvOf,
  daysFromToday,
  HEADER,
  importBatch,
  today,
  upload,
  validRow,
  waitForBatch,
  withdrawApplications,
  type BatchCells,
} from '../../support/collection';
import { harness } from '../../support/harness';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked field by field
type Body = any;

const FULL_WIDTH = (text: string) =>
  text.replace(/[0-9X]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));

/** What each rejected row carries, by row number. */
async function reasonsByRow(token: string, batchId: string): Promise<Record<number, string[]>> {
  const out: Record<number, string[]> = {};
  for (const r of await allRejections(token, batchId)) out[r.row as number] = r.reasons as string[];
  return out;
}

async function residentOf(idNumber: string): Promise<Body> {
  return (await api('counterDL').post('/api/v1/residents/lookup', { idNumber }).expect(200)).body;
}

async function applicationOf(idNumber: string): Promise<Body> {
  const resident = await residentOf(idNumber);
  const open = resident.applications.find((a: Body) => a.status === 'submitted');
  assert.ok(open, 'the resident has a submitted application');
  return (await api('counterDL').get(`/api/v1/applications/${open.applicationNo}`).expect(200)).body;
}

function idEndingInX(birthDate: string, gender: 'M' | 'F'): string {
  for (;;) {
    const id = idNumberFor(birthDate, gender);
    if (id.endsWith('X')) return id;
  }
}

describe('import-batch job: rows', () => {
  it('when values are written the way people type them, then the rows are accepted and stored normalised', async () => {
    const { token, authorisationNo } = await collectionSetup();
    const withX = idEndingInX('1988-06-15', 'F');
    const fullWidth = idNumberFor('1979-11-02', 'M');
    const compact = idNumberFor('1990-01-09', 'F');
    issuedSecrets.add('13749753942');
    const rows: BatchCells[] = [
      validRow(
        {
          公民身份号码: ` ${withX.slice(0, 17)}x `,
          姓名: '阿依古丽•买买提',
          民族: '维吾尔族',
          性别: '女性',
          联系电话: '+86 137 4975 3942',
          出生日期: '1988/6/15',
        },
        { birthDate: '1988-06-15', gender: 'F' },
      ),
      validRow(
        {
          公民身份号码: FULL_WIDTH(fullWidth),
          姓名: ' 梁　嘉欣 ',
          性别: '男',
          联系电话: '１３８００１３８０００',
        },
        { birthDate: '1979-11-02', gender: 'M' },
      ),
      validRow(
        {
          公民身份号码: compact,
          出生日期: '19900109',
          性别: '女',
          联系电话: '0757-2226 8868',
          镇街: ' 北滘镇 ',
        },
        { birthDate: '1990-01-09', gender: 'F' },
      ),
    ];
    issuedSecrets.add('13800138000');
    const batch = await importBatch(token, authorisationNo, csvOf(rows));
    assert.equal(batch.accepted, 3, JSON.stringify(await allRejections(token, batch.batchId)));

    const first = await residentOf(withX);
    assert.equal(first.idNumber, withX);
    assert.equal(first.name, '阿依古丽·买买提');
    assert.equal(first.phone, '13749753942');
    assert.equal(first.gender, 'F');
    assert.equal(first.birthDate, '1988-06-15');
    assert.equal(first.ethnicity, '维吾尔族');
    const second = await residentOf(fullWidth);
    assert.equal(second.idNumber, fullWidth);
    assert.equal(second.name, '梁 嘉欣');
    assert.equal(second.phone, '13800138000');
    const third = await residentOf(compact);
    assert.equal(third.phone, '0757-22268868');
    assert.equal(third.town, '北滘镇');
  });

  it('when rows are accepted, then each gets a free first application with a receipt at its town’s default centre', async () => {
    // Friday 20 November 2026: 12 working days later is Tuesday 8 December, 5 is Friday 27 November
    harness().clock.pinLocal('2026-11-20T10:00');
    const { token, authorisationNo, team } = await collectionSetup({
      validFrom: '2026-11-01',
      validUntil: '2026-11-30',
    });
    const rows = [
      validRow({ 镇街: '勒流街道', 申领卡类型: 'B卡', 合作银行: '中国银行' }, { collectedOn: '2026-11-18' }),
      validRow({ 镇街: '杏坛镇' }, { collectedOn: '2026-11-18', birthDate: '1950-03-01' }),
      validRow({ 镇街: '北滘镇' }, { collectedOn: '2026-11-19' }),
    ];
    const batch = await importBatch(token, authorisationNo, csvOf(rows));
    assert.equal(batch.accepted, 3);

    const b = await applicationOf(rows[0]!.公民身份号码!);
    assert.equal(b.cardType, 'B');
    assert.equal(b.bank, '中国银行');
    assert.equal(b.reason, 'first');
    assert.equal(b.status, 'submitted');
    assert.deepEqual(b.fee, { amountFen: 0, item: 'first_issue' });
    assert.equal(b.payment, undefined);
    assert.equal(b.centre, 'DL');
    assert.deepEqual(
      { centre: b.receipt.centre, ready: b.receipt.expectedReadyDate, deadline: b.receipt.deadline },
      { centre: 'DL', ready: '2026-12-08', deadline: '2027-12-08' },
    );
    assert.match(b.receipt.receiptNo, /^\d{12}$/);
    const elderly = await applicationOf(rows[1]!.公民身份号码!);
    assert.equal(elderly.receipt.centre, 'RG');
    assert.equal(elderly.receipt.expectedReadyDate, '2026-11-27');
    const north = await applicationOf(rows[2]!.公民身份号码!);
    assert.equal(north.receipt.centre, 'LC');

    const resident = await residentOf(rows[0]!.公民身份号码!);
    const registered = await auditEvents('resident', resident.id);
    assert.deepEqual(
      registered.map((e) => [e.action, e.channel, e.actor.team]),
      [['resident.registered', 'collection', team.id]],
    );
    assert.ok(!JSON.stringify(registered).includes(rows[0]!.公民身份号码!), 'audit keeps masks only');
    const submitted = await auditEvents('application', b.applicationNo);
    assert.deepEqual(
      submitted.map((e) => e.action),
      ['application.submitted'],
    );
    assert.equal(submitted[0]!.requestId, `batch:${batch.batchId}`);
  });

  it('when a row has one defect, then it carries exactly that code; two defects, then both', async () => {
    const { token, authorisationNo } = await collectionSetup();
    const minorBirth = bornYearsAgo(10);
    const fifteen = bornYearsAgo(15);
    const guardian = { 监护人姓名: '梁伟强', 监护人身份号码: idNumberFor(bornYearsAgo(40)) };
    const valid = idNumberFor(bornYearsAgo(41));
    const badGuardianId = `${valid.slice(0, 17)}${valid.endsWith('1') ? '2' : '1'}`;
    const good = validRow();
    const rows: BatchCells[] = [
      good,
      validRow({ 公民身份号码: '4.40606E+17' }),
      validRow({ 申领卡类型: 'B卡', 合作银行: '' }),
      validRow({ 申领卡类型: 'B卡', 合作银行: '花旗银行' }),
      validRow({ 申领卡类型: 'C卡' }),
      validRow({}, { birthDate: minorBirth }),
      validRow({ 监护人姓名: '梁伟强', 监护人身份号码: badGuardianId }, { birthDate: minorBirth }),
      validRow({ ...guardian }, { birthDate: minorBirth }),
      validRow({ ...guardian, 申领卡类型: 'B卡', 合作银行: '中国银行' }, { birthDate: fifteen }),
      validRow({ 联系电话: '1234567', 申领卡类型: 'B卡', 合作银行: '花旗银行' }),
      validRow({ 姓名: '梁2号' }),
      validRow({ 姓名: '梁'.repeat(51) }),
      validRow({ 性别: '男' }, { gender: 'F' }),
      validRow({ 出生日期: '1900-01-01' }),
      validRow({
        公民身份号码: `${good.公民身份号码!.slice(0, 17)}${good.公民身份号码!.endsWith('1') ? '2' : '1'}`,
      }),
    ];
    const batch = await importBatch(token, authorisationNo, csvOf(rows));
    assert.deepEqual(await reasonsByRow(token, batch.batchId), {
      2: ['ID_FORMAT'],
      3: ['BANK_MISSING'],
      4: ['BANK_UNKNOWN'],
      5: ['CARD_TYPE_INVALID'],
      6: ['GUARDIAN_MISSING'],
      7: ['GUARDIAN_MISSING'],
      9: ['B_CARD_UNDERAGE'],
      10: ['PHONE_INVALID', 'BANK_UNKNOWN'],
      11: ['NAME_INVALID'],
      12: ['NAME_TOO_LONG'],
      13: ['GENDER_MISMATCH'],
      14: ['BIRTHDATE_MISMATCH'],
      15: ['ID_CHECKSUM'],
    });
    assert.equal(batch.accepted, 2);
    assert.deepEqual(batch.byReason, {
      ID_FORMAT: 1,
      BANK_MISSING: 1,
      BANK_UNKNOWN: 2,
      CARD_TYPE_INVALID: 1,
      GUARDIAN_MISSING: 2,
      B_CARD_UNDERAGE: 1,
      PHONE_INVALID: 1,
      NAME_INVALID: 1,
      NAME_TOO_LONG: 1,
      GENDER_MISMATCH: 1,
      BIRTHDATE_MISMATCH: 1,
      ID_CHECKSUM: 1,
    });
    const minor = await residentOf(rows[7]!.公民身份号码!);
    assert.deepEqual(minor.guardian, { name: '梁伟强', idNumber: guardian.监护人身份号码, relation: null });
    // a rejected row writes nothing
    await api('counterDL').post('/api/v1/residents/lookup', { idNumber: rows[9]!.公民身份号码 }).expect(404);
  });

  it('when an identity number comes as a numeric XLSX cell, then ID_FORMAT; as a text cell, then it is accepted', async () => {
    const { token, authorisationNo } = await collectionSetup();
    const asNumber = validRow();
    const asText = validRow();
    const workbook = new Workbook();
    const sheet = workbook.addWorksheet('采集');
    sheet.addRow([...HEADER]);
    for (const [row, numeric] of [
      [asNumber, true],
      [asText, false],
    ] as const) {
      sheet.addRow(
        HEADER.map((h) =>
          h === '公民身份号码' && numeric ? Number(row[h]!.replace(/X$/, '0')) : (row[h] ?? ''),
        ),
      );
    }
    const xlsx = Buffer.from(await workbook.xlsx.writeBuffer());
    const batch = await importBatch(token, authorisationNo, xlsx, 'batch.xlsx');
    assert.deepEqual(await reasonsByRow(token, batch.batchId), { 1: ['ID_FORMAT'] });
    assert.equal(batch.accepted, 1);
    await residentOf(asText.公民身份号码!);
  });

  it('when a town is outside the letter’s area, then OUT_OF_AREA; a collection date outside its validity, then OUTSIDE_AUTHORISATION_PERIOD', async () => {
    const { token, authorisationNo } = await collectionSetup({
      area: ['大良街道', '伦教街道'],
      validFrom: daysFromToday(-10),
      validUntil: daysFromToday(10),
    });
    const rows = [
      validRow({ 镇街: '容桂街道' }),
      validRow({ 镇街: '天河区' }),
      validRow({}, { collectedOn: daysFromToday(-11) }),
      validRow({}, { collectedOn: daysFromToday(11) }),
      validRow({ 采集日期: '2026-02-30' }),
      validRow({ 镇街: '伦教街道' }, { collectedOn: daysFromToday(-10) }),
      validRow({}, { collectedOn: daysFromToday(10) }),
      validRow({ 镇街: '乐从镇' }, { collectedOn: daysFromToday(-30) }),
    ];
    const batch = await importBatch(token, authorisationNo, csvOf(rows));
    assert.deepEqual(await reasonsByRow(token, batch.batchId), {
      1: ['OUT_OF_AREA'],
      2: ['OUT_OF_AREA'],
      3: ['OUTSIDE_AUTHORISATION_PERIOD'],
      4: ['OUTSIDE_AUTHORISATION_PERIOD'],
      5: ['OUTSIDE_AUTHORISATION_PERIOD'],
      8: ['OUT_OF_AREA', 'OUTSIDE_AUTHORISATION_PERIOD'],
    });
    assert.equal(batch.accepted, 2);
  });

  it('when a second batch has some of the same people, then exactly those rows are NAMED_CARD_EXISTS', async () => {
    const { token, authorisationNo } = await collectionSetup();
    const people = Array.from({ length: 4 }, () => validRow());
    const first = await importBatch(token, authorisationNo, csvOf(people));
    assert.equal(first.accepted, 4);
    const holder = await residentWithActiveCard({ name: '何家豪' });

    const again = (p: BatchCells) => ({ ...p, 采集编号: `${p.采集编号}-2`, 联系电话: p.联系电话 });
    const second = [
      again(people[0]!),
      validRow(),
      again(people[2]!),
      validRow(),
      validRow(
        { 公民身份号码: holder.resident.idNumber, 姓名: '何家豪' },
        { birthDate: holder.resident.birthDate },
      ),
    ];
    // the holder's gender comes from the number; leave it out rather than guess it
    second[4]!.性别 = '';
    const batch = await importBatch(token, authorisationNo, csvOf(second));
    assert.deepEqual(await reasonsByRow(token, batch.batchId), {
      1: ['NAMED_CARD_EXISTS'],
      3: ['NAMED_CARD_EXISTS'],
      5: ['NAMED_CARD_EXISTS'],
    });
    assert.equal(batch.accepted, 2);
    assert.equal((await residentOf(people[0]!.公民身份号码!)).applications.length, 1);
  });

  it('when a person comes again later in the batch, within a chunk or across chunks, then the later rows are DUPLICATE_IN_BATCH', async () => {
    const { token, authorisationNo } = await collectionSetup();
    const rows = Array.from({ length: CHUNK_ROWS + 205 }, () => validRow());
    const copy = (of: number, at: number) => {
      rows[at - 1] = { ...rows[of - 1]!, 采集编号: rows[at - 1]!.采集编号 };
    };
    copy(2, 600);
    copy(5, CHUNK_ROWS + 100);
    copy(CHUNK_ROWS + 50, CHUNK_ROWS + 101);
    copy(2, CHUNK_ROWS + 150);
    // an earlier row of the person was rejected: the later row is judged on its own
    rows[6] = { ...rows[6]!, 联系电话: '110' };
    copy(7, CHUNK_ROWS + 160);
    rows[CHUNK_ROWS + 159]!.联系电话 = '13911112222';
    issuedSecrets.add('13911112222');
    const batch = await importBatch(token, authorisationNo, csvOf(rows));
    assert.deepEqual(await reasonsByRow(token, batch.batchId), {
      7: ['PHONE_INVALID'],
      600: ['DUPLICATE_IN_BATCH'],
      [CHUNK_ROWS + 100]: ['DUPLICATE_IN_BATCH'],
      [CHUNK_ROWS + 101]: ['DUPLICATE_IN_BATCH'],
      [CHUNK_ROWS + 150]: ['DUPLICATE_IN_BATCH'],
    });
    assert.deepEqual(batch.progress, { done: CHUNK_ROWS + 205, total: CHUNK_ROWS + 205 });
    assert.equal(batch.accepted, CHUNK_ROWS + 200);
    assert.equal((await residentOf(rows[1]!.公民身份号码!)).applications.length, 1);
    const rejected = await residentOf(rows[6]!.公民身份号码!);
    assert.equal(rejected.phone, '13911112222');
    await withdrawApplications(batch.batchId);
  });

  it('when a known resident comes with another name, then RESIDENT_CONFLICT; with the same name, then the contact data is updated', async () => {
    const { token, authorisationNo } = await collectionSetup();
    const same = await registerResident({ name: '梁嘉欣' });
    // one with a named application open: the other name is still the row's one defect
    const other = await registerResident({ name: '陈志强' });
    await applyFor(other);
    const rows = [
      validRow(
        { 公民身份号码: same.idNumber, 姓名: '梁嘉欣', 性别: '', 联系电话: '13922223333' },
        { birthDate: same.birthDate },
      ),
      validRow({ 公民身份号码: other.idNumber, 姓名: '陈志刚', 性别: '' }, { birthDate: other.birthDate }),
    ];
    issuedSecrets.add('13922223333');
    const batch = await importBatch(token, authorisationNo, csvOf(rows));
    assert.deepEqual(await reasonsByRow(token, batch.batchId), { 2: ['RESIDENT_CONFLICT'] });
    const updated = await residentOf(same.idNumber);
    assert.equal(updated.phone, '13922223333');
    assert.equal(updated.id, same.id);
    assert.equal(updated.applications.length, 1);
    const events = await auditEvents('resident', same.id);
    assert.deepEqual(
      events.map((e) => [e.action, e.channel]),
      [
        ['resident.registered', 'counter'],
        ['resident.updated', 'collection'],
      ],
    );
    assert.equal((await residentOf(other.idNumber)).name, '陈志强');
  });

  it('when a resident whose named card was cancelled is collected again, then a reissue with the replacement fee due at the counter', async () => {
    const { token, authorisationNo } = await collectionSetup();
    const { resident, cardNo } = await residentWithActiveCard({ name: '冯咏诗' });
    await api('counterDL').post(`/api/v1/cards/${cardNo}/cancel`, { reason: 'holder_request' }).expect(200);
    const row = validRow(
      { 公民身份号码: resident.idNumber, 姓名: '冯咏诗', 性别: '' },
      { birthDate: resident.birthDate },
    );
    const batch = await importBatch(token, authorisationNo, csvOf([row]));
    assert.equal(batch.accepted, 1);
    const app = await applicationOf(resident.idNumber);
    assert.equal(app.reason, 'reissue');
    assert.deepEqual(app.fee, { amountFen: 2000, item: 'replacement' });
    assert.equal(app.payment, undefined);
  });
});

describe('GET /api/v1/collection-batches/:batchId/rejections', () => {
  it('when asked for JSON, then pages of rows; for text/csv, then every rejection in a UTF-8 CSV with a BOM', async () => {
    const { token, authorisationNo } = await collectionSetup();
    const rows = [
      validRow({ 采集编号: '=HYPERLINK("x")', 联系电话: '1' }),
      validRow(),
      validRow({ 姓名: '' }),
      validRow({ 申领卡类型: 'A卡', 联系电话: '2' }),
    ];
    const batch = await importBatch(token, authorisationNo, csvOf(rows));
    const page = await as(token)
      .get(`/api/v1/collection-batches/${batch.batchId}/rejections?limit=2`)
      .expect(200);
    assert.deepEqual(page.body.items, [
      { row: 1, recordNo: '=HYPERLINK("x")', reasons: ['PHONE_INVALID'] },
      { row: 3, recordNo: rows[2]!.采集编号, reasons: ['NAME_MISSING'] },
    ]);
    const rest = await as(token)
      .get(`/api/v1/collection-batches/${batch.batchId}/rejections?limit=2&cursor=${page.body.nextCursor}`)
      .expect(200);
    assert.deepEqual(rest.body, {
      items: [{ row: 4, recordNo: rows[3]!.采集编号, reasons: ['PHONE_INVALID', 'CARD_TYPE_INVALID'] }],
      nextCursor: null,
    });

    const csv = await as(token)
      .get(`/api/v1/collection-batches/${batch.batchId}/rejections`)
      .set('Accept', 'text/csv')
      .buffer(true)
      .parse((res, done) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => done(null, Buffer.concat(chunks)));
      })
      .expect(200);
    assert.equal(csv.headers['content-type'], 'text/csv; charset=utf-8');
    const bytes = csv.body as Buffer;
    assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
    assert.equal(
      bytes.subarray(3).toString('utf8'),
      [
        '行号,采集编号,原因代码,原因说明',
        `1,"'=HYPERLINK(""x"")",PHONE_INVALID,联系电话应为手机号码或0757开头的固定电话`,
        `3,${rows[2]!.采集编号},NAME_MISSING,姓名不能为空`,
        `4,${rows[3]!.采集编号},PHONE_INVALID;CARD_TYPE_INVALID,联系电话应为手机号码或0757开头的固定电话；申领卡类型应为“B卡”或“记名C卡”`,
        '',
      ].join('\r\n'),
    );

    const stranger = await collectionSetup();
    const hidden = await as(stranger.token)
      .get(`/api/v1/collection-batches/${batch.batchId}/rejections`)
      .expect(404);
    assert.equal(hidden.body.code, 'BATCH_NOT_FOUND');
    const csv404 = await as(stranger.token)
      .get(`/api/v1/collection-batches/${batch.batchId}/rejections`)
      .set('Accept', 'text/csv')
      .expect(404);
    assert.equal(csv404.body.code, 'BATCH_NOT_FOUND');
    await api('admin').get(`/api/v1/collection-batches/${batch.batchId}/rejections`).expect(200);
  });
});

describe('import-batch job: runs and failures', () => {
  it('when the job runs again for a finished batch, then nothing more is written', async () => {
    const { token, authorisationNo } = await collectionSetup();
    const rows = [validRow(), validRow({ 联系电话: '3' })];
    const batch = await importBatch(token, authorisationNo, csvOf(rows));
    const h = harness();
    const noProgress = { updateProgress: () => Promise.resolve(), attemptsMade: 0 };
    for (let i = 0; i < 2; i++) {
      const summary = await importJob.handle({ batchId: batch.batchId }, { ...h.deps }, noProgress);
      assert.deepEqual(summary, { status: 'completed', accepted: 1, rejected: 1 });
    }
    const after = await as(token).get(`/api/v1/collection-batches/${batch.batchId}`).expect(200);
    assert.deepEqual(after.body, batch);
    assert.equal((await residentOf(rows[0]!.公民身份号码!)).applications.length, 1);
    assert.equal((await allRejections(token, batch.batchId)).length, 1);
  });

  it('when the file turns out unreadable further down, then the batch fails at once with the reason and no retries', async () => {
    const { token, authorisationNo } = await collectionSetup();
    const good = validRow();
    // far enough down that the check at upload, which reads the head of the file, cannot see it
    const rows = [good, ...Array.from({ length: 3000 }, () => validRow())];
    const broken = `${csvOf(rows)}CJ9,${today()},"梁嘉欣,男\r\n`;
    const res = await upload(token, authorisationNo, broken).expect(202);
    const batch = await waitForBatch(token, res.body.batchId);
    assert.equal(batch.status, 'failed');
    assert.equal(batch.failure, '无法读取文件：CSV文件格式不正确，有引号没有闭合');
    assert.deepEqual(batch.progress, { done: 0, total: null });
    await api('counterDL').post('/api/v1/residents/lookup', { idNumber: good.公民身份号码 }).expect(404);
    const job = await harness().deps.queues.get('collection').getJob(`import-${res.body.batchId}`);
    assert.equal(await job!.getState(), 'failed');
    assert.equal(job!.attemptsMade, 1);
    const events = await auditEvents('batch', res.body.batchId);
    assert.deepEqual(
      events.map((e) => e.action),
      ['batch.uploaded', 'batch.failed'],
    );
  });
});

describe('/admin/queues', () => {
  it('when opened with an admin token, then the dashboard; with another token, a partner key or none, then 403 or 401', async () => {
    const app = harness().app;
    await request(app).get('/admin/queues').expect(401);
    await request(app).get('/admin/queues').set('Authorization', 'Bearer op_unknown').expect(401);
    await request(app)
      .get('/admin/queues')
      .set('Authorization', `Bearer ${harness().tokens.counterDL}`)
      .expect(403);
    const partner = await api('admin')
      .post('/api/v1/partners', { name: '借阅系统', department: '顺德图书馆', scopes: ['card.read'] })
      .expect(201);
    const asPartner = await request(app)
      .get('/admin/queues/api/queues')
      .set('Authorization', `Bearer ${partner.body.key}`)
      .expect(403);
    assert.equal(asPartner.body.code, 'FORBIDDEN');
    const page = await request(app)
      .get('/admin/queues')
      .set('Authorization', `Bearer ${harness().tokens.admin}`)
      .expect(200);
    assert.match(page.headers['content-type'] ?? '', /text\/html/);
    const queues = await request(app)
      .get('/admin/queues/api/queues')
      .set('Authorization', `Bearer ${harness().tokens.admin}`)
      .expect(200);
    const names = (queues.body.queues as Array<{ name: string }>).map((q) => q.name).sort();
    assert.deepEqual(names, ['cards', 'collection', 'maintenance', 'production']);
  });
});
