import { scratchDir } from './temp';
import { execFile } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import request from 'supertest';
import { createOperator } from '../../src/components/operators';
import { addDays, localDate } from '../../src/platform/dates';
import { api, idNumberFor, issuedSecrets, mobile } from './builders';
import { harness } from './harness';

const run = promisify(execFile);

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures', 'batches');
export const GENERATOR = path.resolve(REPO_ROOT, '..', 'shared', 'tools', 'gen-residents.mjs');

export const HEADER = [
  '采集编号',
  '采集日期',
  '姓名',
  '性别',
  '民族',
  '公民身份号码',
  '出生日期',
  '联系电话',
  '镇街',
  '村居',
  '现住址',
  '申领卡类型',
  '合作银行',
  '监护人姓名',
  '监护人身份号码',
  '照片编号',
] as const;

export type BatchCells = Partial<Record<(typeof HEADER)[number], string>>;

export interface ExpectedReport {
  rows: number;
  accepted: number;
  rejected: number;
  byReason: Record<string, number>;
  rejectedRows: Array<{ row: number; recordNo: string; reason: string }>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked field by field
type Body = any;

/** Requests with a token of the test's own making (collectors belong to teams the test creates). */
export function as(token: string | undefined) {
  const agent = request(harness().app);
  const auth = token ? { Authorization: `Bearer ${token}` } : {};
  return {
    get: (url: string) => agent.get(url).set(auth),
    post: (url: string, body?: object) => {
      const req = agent.post(url).set(auth);
      return body === undefined ? req : req.send(body);
    },
  };
}

export async function createTeam(name = `采集队${randomInt(1e6)}`, town = '大良街道'): Promise<Body> {
  return (await api('admin').post('/api/v1/collection-teams', { name, town }).expect(201)).body;
}

/** Today (Shunde) and days around it, for letters that must be valid now. */
export function today(): string {
  return localDate(harness().clock.now());
}

export function daysFromToday(days: number): string {
  return addDays(today(), days);
}

/** A letter valid today whose period also covers the sample batches' collection dates (November 2026). */
export function samplePeriod(): { validFrom: string; validUntil: string } {
  const t = today();
  return {
    validFrom: t < '2026-11-01' ? t : '2026-11-01',
    validUntil: addDays(t > '2026-11-30' ? t : '2026-11-30', 30),
  };
}

export async function issueLetter(
  teamId: string,
  body: { area?: string[] | 'ALL'; validFrom?: string; validUntil?: string } = {},
): Promise<Body> {
  const res = await api('admin')
    .post(`/api/v1/collection-teams/${teamId}/authorisations`, {
      area: body.area ?? 'ALL',
      validFrom: body.validFrom ?? daysFromToday(-30),
      validUntil: body.validUntil ?? daysFromToday(30),
    })
    .expect(201);
  return res.body;
}

export async function collector(teamId: string, name = '陈采集'): Promise<string> {
  return (await createOperator(harness().deps.db, { role: 'collector', team: teamId, name })).token;
}

/** A team, one of its collectors and a letter: what most batch tests start from. */
export async function collectionSetup(
  letter: { area?: string[] | 'ALL'; validFrom?: string; validUntil?: string } = {},
) {
  const team = await createTeam();
  const token = await collector(team.id);
  const authorisation = await issueLetter(team.id, letter);
  return { team, token, letter: authorisation, authorisationNo: authorisation.authorisationNo as string };
}

export function upload(
  token: string,
  authorisationNo: string,
  content: Buffer | string,
  fileName = 'batch.csv',
) {
  return as(token)
    .post('/api/v1/collection-batches')
    .field('authorisationNo', authorisationNo)
    .attach('file', Buffer.isBuffer(content) ? content : Buffer.from(content), fileName);
}

/** Polls the batch through the API until its import has finished. */
export async function waitForBatch(token: string, batchId: string, timeoutMs = 60000): Promise<Body> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const res = await as(token).get(`/api/v1/collection-batches/${batchId}`).expect(200);
    if (res.body.status === 'completed' || res.body.status === 'failed') return res.body;
    if (Date.now() > until)
      throw new Error(`batch ${batchId} still ${res.body.status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Uploads, expects 202 and waits for the import to finish. */
export async function importBatch(
  token: string,
  authorisationNo: string,
  content: Buffer | string,
  fileName = 'batch.csv',
): Promise<Body> {
  const res = await upload(token, authorisationNo, content, fileName);
  if (res.status !== 202) throw new Error(`upload gave ${res.status}: ${JSON.stringify(res.body)}`);
  return waitForBatch(token, res.body.batchId as string);
}

export async function allRejections(token: string, batchId: string): Promise<Body[]> {
  const items: Body[] = [];
  for (let cursor: string | null = null; ;) {
    const url = `/api/v1/collection-batches/${batchId}/rejections?limit=200${cursor ? `&cursor=${cursor}` : ''}`;
    const res = await as(token).get(url).expect(200);
    items.push(...(res.body.items as Body[]));
    cursor = res.body.nextCursor as string | null;
    if (!cursor) return items;
  }
}

export function csvOf(rows: BatchCells[], header: readonly string[] = HEADER): string {
  const cell = (v: string) => (/[",\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);
  const lines = [
    header.join(','),
    ...rows.map((r) => header.map((h) => cell(r[h as keyof BatchCells] ?? '')).join(',')),
  ];
  return `${lines.join('\r\n')}\r\n`;
}

let recordSeq = 0;

/** A birth date between 1950 and 2004: an adult, spread so that identity numbers never run out. */
function adultBirthDate(): string {
  // 28 to 66 years old: an adult who is neither under 16 nor 70+ (which shortens the ready date)
  return addDays('1960-01-01', randomInt(0, 14000));
}

/** A valid row for an adult (C_NAMED card, 大良) collected today; override any cell. */
export function validRow(
  overrides: BatchCells = {},
  opts: { collectedOn?: string; birthDate?: string; gender?: 'M' | 'F' } = {},
): BatchCells {
  recordSeq += 1;
  const birthDate = opts.birthDate ?? adultBirthDate();
  const gender = opts.gender ?? (randomInt(2) ? 'M' : 'F');
  return {
    采集编号: `T${String(recordSeq).padStart(7, '0')}`,
    采集日期: opts.collectedOn ?? today(),
    姓名: '梁嘉欣',
    性别: gender === 'M' ? '男' : '女',
    民族: '汉族',
    公民身份号码: idNumberFor(birthDate, gender),
    出生日期: birthDate,
    联系电话: mobile(),
    镇街: '大良街道',
    村居: '升平社区',
    现住址: '佛山市顺德区大良街道新城路1号',
    申领卡类型: '记名C卡',
    合作银行: '',
    ...overrides,
  };
}

/** Runs the shared generator; its people are new to the database as long as the seed is unused. */
export async function generateBatch(
  rows: number,
  seed: number,
  extra: string[] = [],
): Promise<{ file: string; content: Buffer; expect: ExpectedReport }> {
  if (!existsSync(GENERATOR)) throw new Error(`The batch generator is missing: ${GENERATOR}`);
  const dir = scratchDir('collection-');
  const file = path.join(dir, `gen-${rows}-${seed}.csv`);
  const expectFile = `${file}.expect.json`;
  await run(
    process.execPath,
    [
      GENERATOR,
      '--rows',
      String(rows),
      '--seed',
      String(seed),
      '--out',
      file,
      '--expect',
      expectFile,
      ...extra,
    ],
    {
      cwd: REPO_ROOT,
    },
  );
  const content = readFileSync(file);
  rememberIdentityNumbers(content.toString('utf8'));
  return { file, content, expect: JSON.parse(readFileSync(expectFile, 'utf8')) as ExpectedReport };
}

export function sample(name: string): { content: Buffer; expect: ExpectedReport } {
  return {
    content: readFileSync(path.join(FIXTURES, name)),
    // batch-small.csv has batch-small.expect.json; batch-small.xlsx has batch-small.xlsx.expect.json
    expect: JSON.parse(
      readFileSync(path.join(FIXTURES, `${name.replace(/\.csv$/, '')}.expect.json`), 'utf8'),
    ) as ExpectedReport,
  };
}

/** Lets the privacy checks look for the generated people's numbers and phones as well. */
function rememberIdentityNumbers(text: string): void {
  for (const m of text.matchAll(/(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])/g))
    issuedSecrets.add(m[0].toUpperCase());
}

/** The report the API gives, in the shape of an .expect.json. */
export async function reportOf(token: string, batch: Body): Promise<Omit<ExpectedReport, 'rows'>> {
  const rejections = await allRejections(token, batch.batchId as string);
  return {
    accepted: batch.accepted as number,
    rejected: batch.rejected as number,
    byReason: batch.byReason as Record<string, number>,
    rejectedRows: rejections.map((r) => ({
      row: r.row as number,
      recordNo: r.recordNo as string,
      reason: (r.reasons as string[]).join('+'),
    })),
  };
}

export function expectedReport(expect: ExpectedReport): Omit<ExpectedReport, 'rows'> {
  return {
    accepted: expect.accepted,
    rejected: expect.rejected,
    byReason: expect.byReason,
    rejectedRows: expect.rejectedRows.map((r) => ({ row: r.row, recordNo: r.recordNo, reason: r.reason })),
  };
}

/**
 * Takes a large batch's applications out of the way once a test has checked them: every later
 * production run in the suite would otherwise make a card for each of them. They are withdrawn as the
 * counter would withdraw them, in one statement instead of one request each.
 */
export async function withdrawApplications(batchId: string): Promise<void> {
  const db = harness().deps.db;
  const at = new Date();
  await db('applications')
    .whereIn('batch_id', db('collection_batches').where('public_id', batchId).select('id'))
    .where('status', 'submitted')
    .update({ status: 'cancelled', cancelled_at: at, updated_at: at });
}
