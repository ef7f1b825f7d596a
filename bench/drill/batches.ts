// Collection batches.

import { createReadStream, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { readBatchRows } from '../../src/components/collection/parsing/reader';
import { createOperator } from '../../src/components/operators';
import { normaliseIdNumber } from '../../src/components/residents';
import { addDays, localDate } from '../../src/platform/dates';
import type { Db } from '../../src/platform/db';
import type { PiiVault } from '../../src/platform/pii';
import { ROOT } from '../support';
import { must, type ApiRequest, type Counters } from './client';
import { sleep } from './clock';
import { residentsWithHashes, scalar, type Findings } from './findings';
import { FILES, GENERATOR } from './paths';
import { run } from './processes';
import type { System } from './system';

interface Expected {
  rows: number;
  accepted: number;
  rejected: number;
  byReason: Record<string, number>;
  rejectedRows: Array<{ row: number; recordNo: string; reason: string }>;
}

export interface BatchFile {
  file: string;
  expect: Expected;
}

interface BatchView {
  batchId: string;
  status: 'queued' | 'processing' | 'completed' | 'failed';
  failure?: string;
  progress: { done: number; total: number | null };
  accepted: number;
  rejected: number;
  byReason: Record<string, number>;
}

interface Letter {
  admin: string;
  authorisationNo: string;
  collectors: string[];
}

/** Its people are new to a fresh database as long as the seed is not used twice in one drill. */
export async function generate(rows: number, seed: number): Promise<BatchFile> {
  mkdirSync(FILES, { recursive: true });
  const file = path.join(FILES, `batch-${rows}-${seed}.csv`);
  const expectFile = `${file}.expect.json`;
  await run(
    process.execPath,
    [GENERATOR, '--rows', String(rows), '--seed', String(seed), '--out', file, '--expect', expectFile],
    { cwd: ROOT, maxBuffer: 1 << 20 },
  );
  return { file, expect: JSON.parse(readFileSync(expectFile, 'utf8')) as Expected };
}

/** A team, its collectors and a letter valid today that covers the generator's collection dates. */
export async function collectionSetup(
  c: Counters,
  bases: readonly string[],
  db: Db,
  collectors: number,
): Promise<Letter> {
  const admin = (await createOperator(db, { role: 'admin', name: '演练管理员' })).token;
  const team = await must<{ id: string }>(c, bases, {
    method: 'POST',
    url: '/collection-teams',
    token: admin,
    json: { name: '演练采集队', town: '大良街道' },
  });
  const today = localDate(new Date());
  const letter = await must<{ authorisationNo: string }>(c, bases, {
    method: 'POST',
    url: `/collection-teams/${team.id}/authorisations`,
    token: admin,
    json: {
      area: 'ALL',
      validFrom: today < '2026-11-01' ? today : '2026-11-01',
      validUntil: addDays(today > '2026-11-30' ? today : '2026-11-30', 30),
    },
  });
  const tokens: string[] = [];
  for (let i = 0; i < collectors; i++) {
    tokens.push(
      (await createOperator(db, { role: 'collector', team: team.id, name: `演练采集员${i + 1}` })).token,
    );
  }
  return { admin, authorisationNo: letter.authorisationNo, collectors: tokens };
}

export function uploadRequest(token: string, letter: Letter, bf: BatchFile, key: string): ApiRequest {
  return {
    method: 'POST',
    url: '/collection-batches',
    token,
    key,
    upload: { authorisationNo: letter.authorisationNo, file: bf.file },
  };
}

export function batchOf(
  c: Counters,
  bases: readonly string[],
  token: string,
  id: string,
): Promise<BatchView> {
  return must<BatchView>(c, bases, { method: 'GET', url: `/collection-batches/${id}`, token });
}

/** Polls until every batch has completed or failed, or the deadline passes. */
export async function settleBatches(
  c: Counters,
  bases: readonly string[],
  token: string,
  ids: readonly string[],
  deadline: number,
): Promise<Map<string, BatchView>> {
  const last = new Map<string, BatchView>();
  const finished = (id: string) => ['completed', 'failed'].includes(last.get(id)?.status ?? '');
  for (;;) {
    for (const id of ids) if (!finished(id)) last.set(id, await batchOf(c, bases, token, id));
    if (ids.every(finished) || Date.now() > deadline) return last;
    await sleep(500);
  }
}

async function reportOf(
  c: Counters,
  bases: readonly string[],
  token: string,
  batch: BatchView,
): Promise<Omit<Expected, 'rows'>> {
  const rejectedRows: Expected['rejectedRows'] = [];
  for (let cursor: string | null = null; ;) {
    const page: {
      items: Array<{ row: number; recordNo: string; reasons: string[] }>;
      nextCursor: string | null;
    } = await must(c, bases, {
      method: 'GET',
      url: `/collection-batches/${batch.batchId}/rejections?limit=200${cursor ? `&cursor=${cursor}` : ''}`,
      token,
    });
    for (const r of page.items)
      rejectedRows.push({ row: r.row, recordNo: r.recordNo, reason: r.reasons.join('+') });
    cursor = page.nextCursor;
    if (!cursor) break;
  }
  return { accepted: batch.accepted, rejected: batch.rejected, byReason: batch.byReason, rejectedRows };
}

/** The identity-number hashes of the rows the generator says are accepted. */
async function acceptedHashes(bf: BatchFile, vault: PiiVault): Promise<Buffer[]> {
  const rejected = new Set(bf.expect.rejectedRows.map((r) => r.row));
  const hashes: Buffer[] = [];
  for await (const row of readBatchRows(() => createReadStream(bf.file))) {
    if (!rejected.has(row.row)) hashes.push(vault.lookupHash(normaliseIdNumber(String(row.cells.idNumber))));
  }
  return hashes;
}

/**
 * One batch against its file: completed, the report the generator expects (through the API), and in
 * the tables every accepted row once — its resident, application, receipt and audit events — every
 * rejected row once, and the batch's own audit trail once.
 */
export async function checkBatch(
  sys: System,
  f: Findings,
  label: string,
  c: Counters,
  bases: readonly string[],
  token: string,
  batch: BatchView,
  bf: BatchFile,
): Promise<void> {
  const { accepted, rejected, rows } = bf.expect;
  if (batch.status !== 'completed') {
    f.problem(
      `${label}: batch ${batch.batchId} ended ${batch.status}${batch.failure ? ` (${batch.failure})` : ''}`,
    );
  }
  if (batch.progress.done !== rows || batch.progress.total !== rows) {
    f.problem(`${label}: progress ${batch.progress.done}/${batch.progress.total}, expected ${rows}/${rows}`);
  }
  const report = await reportOf(c, bases, token, batch);
  const { rows: _rows, ...expected } = bf.expect;
  if (!isDeepStrictEqual(report, expected)) {
    f.problem(
      `${label}: report ${report.accepted} accepted / ${report.rejected} rejected differs from the generator's ` +
        `${accepted}/${rejected} (or its reasons or rejected rows do)`,
    );
  }
  const row = (await sys.db('collection_batches').where('public_id', batch.batchId).first('id')) as
    { id: number | string } | undefined;
  if (!row) {
    f.count(`${label}: batch rows`, 0, 1);
    return;
  }
  const id = Number(row.id);
  const db = sys.db;
  f.count(
    `${label}: applications`,
    await scalar(db, 'SELECT COUNT(*) AS n FROM applications WHERE batch_id = ?', [id]),
    accepted,
  );
  f.count(
    `${label}: residents applied for`,
    await scalar(db, 'SELECT COUNT(DISTINCT resident_id) AS n FROM applications WHERE batch_id = ?', [id]),
    accepted,
  );
  f.count(
    `${label}: receipts`,
    await scalar(
      db,
      'SELECT COUNT(*) AS n FROM receipts r JOIN applications a ON a.id = r.application_id WHERE a.batch_id = ?',
      [id],
    ),
    accepted,
  );
  f.count(
    `${label}: rejections`,
    await scalar(db, 'SELECT COUNT(*) AS n FROM collection_batch_rejections WHERE batch_id = ?', [id]),
    rejected,
  );
  const requestId = `batch:${batch.batchId}`;
  const audits = (action: string) =>
    scalar(db, 'SELECT COUNT(*) AS n FROM audit_events WHERE action = ? AND request_id = ?', [
      action,
      requestId,
    ]);
  f.count(`${label}: audit application.submitted`, await audits('application.submitted'), accepted);
  f.count(
    `${label}: audit resident.registered/updated`,
    (await audits('resident.registered')) + (await audits('resident.updated')),
    accepted,
  );
  for (const action of ['batch.uploaded', 'batch.started', 'batch.completed']) {
    f.count(
      `${label}: audit ${action}`,
      await scalar(db, 'SELECT COUNT(*) AS n FROM audit_events WHERE action = ? AND entity_id = ?', [
        action,
        batch.batchId,
      ]),
      1,
    );
  }
  f.count(
    `${label}: residents of accepted rows`,
    await residentsWithHashes(db, await acceptedHashes(bf, sys.vault)),
    accepted,
  );
}
