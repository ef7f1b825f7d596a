import { findOne, type Conn } from '../../platform/db';

/* Teams ------------------------------------------------------------------------------------------- */

export interface TeamRecord {
  dbId: number;
  id: string;
  name: string;
  town: string;
}

interface TeamRow {
  id: number | string;
  public_id: string;
  name: string;
  town: string;
}

const toTeam = (r: TeamRow): TeamRecord => ({
  dbId: Number(r.id),
  id: r.public_id,
  name: r.name,
  town: r.town,
});

export async function insertTeam(
  conn: Conn,
  team: { id: string; name: string; town: string; at: Date },
): Promise<void> {
  await conn('collection_teams').insert({
    public_id: team.id,
    name: team.name,
    town: team.town,
    created_at: team.at,
  });
}

export async function findTeam(conn: Conn, publicId: string): Promise<TeamRecord | undefined> {
  const row = (await conn('collection_teams').where('public_id', publicId).first()) as TeamRow | undefined;
  return row ? toTeam(row) : undefined;
}

/** The names of a team's collectors who can still sign in, as residents will see them at the door. */
export async function memberNames(conn: Conn, teamDbId: number): Promise<string[]> {
  const rows = (await conn('operators')
    .where({ team_id: teamDbId, role: 'collector' })
    .whereNull('disabled_at')
    .orderBy('id')
    .select('name')) as Array<{ name: string }>;
  return rows.map((r) => r.name);
}

/* Authorisation letters ------------------------------------------------------------------------------ */

export interface AuthorisationRecord {
  dbId: number;
  authorisationNo: string;
  verifyCodeHash: Buffer;
  teamDbId: number;
  teamId: string;
  teamName: string;
  /** null: the whole district */
  towns: string[] | null;
  validFrom: string;
  validUntil: string;
  revokedAt: Date | null;
}

interface AuthorisationRow {
  id: number | string;
  authorisation_no: string;
  verify_code_hash: Buffer;
  team_id: number | string;
  team_public_id: string;
  team_name: string;
  area_all: number;
  valid_from: string;
  valid_until: string;
  revoked_at: Date | null;
}

const AUTHORISATION_COLUMNS = [
  'a.id',
  'a.authorisation_no',
  'a.verify_code_hash',
  'a.team_id',
  't.public_id as team_public_id',
  't.name as team_name',
  'a.area_all',
  'a.valid_from',
  'a.valid_until',
  'a.revoked_at',
];

async function withTowns(conn: Conn, row: AuthorisationRow): Promise<AuthorisationRecord> {
  const towns = row.area_all
    ? null
    : (
        (await conn('collection_authorisation_towns')
          .where('authorisation_id', row.id)
          .orderBy('town')
          .select('town')) as Array<{ town: string }>
      ).map((t) => t.town);
  return {
    dbId: Number(row.id),
    authorisationNo: row.authorisation_no,
    verifyCodeHash: row.verify_code_hash,
    teamDbId: Number(row.team_id),
    teamId: row.team_public_id,
    teamName: row.team_name,
    towns,
    validFrom: row.valid_from,
    validUntil: row.valid_until,
    revokedAt: row.revoked_at,
  };
}

export async function insertAuthorisation(
  conn: Conn,
  a: {
    authorisationNo: string;
    verifyCodeHash: Buffer;
    teamDbId: number;
    towns: string[] | null;
    validFrom: string;
    validUntil: string;
    createdBy: string;
    at: Date;
  },
): Promise<void> {
  const [id] = (await conn('collection_authorisations').insert({
    authorisation_no: a.authorisationNo,
    verify_code_hash: a.verifyCodeHash,
    team_id: a.teamDbId,
    area_all: a.towns === null ? 1 : 0,
    valid_from: a.validFrom,
    valid_until: a.validUntil,
    created_by: a.createdBy,
    created_at: a.at,
  })) as number[];
  if (a.towns?.length) {
    await conn('collection_authorisation_towns').insert(
      a.towns.map((town) => ({ authorisation_id: id, town })),
    );
  }
}

export async function findAuthorisation(
  conn: Conn,
  where: { authorisationNo: string } | { dbId: number },
  opts: { forUpdate?: boolean } = {},
): Promise<AuthorisationRecord | undefined> {
  const q = conn('collection_authorisations as a')
    .join('collection_teams as t', 't.id', 'a.team_id')
    .first(AUTHORISATION_COLUMNS);
  if ('dbId' in where) q.where('a.id', where.dbId);
  else q.where('a.authorisation_no', where.authorisationNo);
  const row = (await (opts.forUpdate ? q.forUpdate() : q)) as AuthorisationRow | undefined;
  return row ? withTowns(conn, row) : undefined;
}

export async function revokeAuthorisation(conn: Conn, dbId: number, by: string, at: Date): Promise<void> {
  await conn('collection_authorisations').where('id', dbId).update({ revoked_at: at, revoked_by: by });
}

/* Batches --------------------------------------------------------------------------------------------- */

export type BatchStatus = 'queued' | 'processing' | 'completed' | 'failed';

export interface BatchRecord {
  dbId: number;
  id: string;
  authorisationDbId: number;
  authorisationNo: string;
  teamDbId: number;
  teamId: string;
  uploadedBy: string | null;
  fileName: string;
  fileSize: number;
  fileKeySealed: Buffer;
  fileDeletedAt: Date | null;
  status: BatchStatus;
  failure: string | null;
  totalRows: number | null;
  doneRows: number;
  accepted: number;
  rejected: number;
  byReason: Record<string, number>;
  recoveries: number;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

interface BatchRow {
  id: number | string;
  public_id: string;
  authorisation_id: number | string;
  authorisation_no: string;
  team_id: number | string;
  team_public_id: string;
  uploaded_by: string | null;
  file_name: string;
  file_size: number | string;
  file_key_sealed: Buffer;
  file_deleted_at: Date | null;
  status: BatchStatus;
  failure: string | null;
  total_rows: number | null;
  done_rows: number;
  accepted: number;
  rejected: number;
  by_reason: string;
  recoveries: number;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

const BATCH_COLUMNS = [
  'b.id',
  'b.public_id',
  'b.authorisation_id',
  'a.authorisation_no',
  'b.team_id',
  't.public_id as team_public_id',
  'b.uploaded_by',
  'b.file_name',
  'b.file_size',
  'b.file_key_sealed',
  'b.file_deleted_at',
  'b.status',
  'b.failure',
  'b.total_rows',
  'p.done_rows',
  'p.accepted',
  'p.rejected',
  'p.by_reason',
  'b.recoveries',
  'b.created_at',
  'b.started_at',
  'b.finished_at',
];

function toBatch(r: BatchRow): BatchRecord {
  return {
    dbId: Number(r.id),
    id: r.public_id,
    authorisationDbId: Number(r.authorisation_id),
    authorisationNo: r.authorisation_no,
    teamDbId: Number(r.team_id),
    teamId: r.team_public_id,
    uploadedBy: r.uploaded_by,
    fileName: r.file_name,
    fileSize: Number(r.file_size),
    fileKeySealed: r.file_key_sealed,
    fileDeletedAt: r.file_deleted_at,
    status: r.status,
    failure: r.failure,
    totalRows: r.total_rows,
    doneRows: r.done_rows,
    accepted: r.accepted,
    rejected: r.rejected,
    byReason: JSON.parse(r.by_reason) as Record<string, number>,
    recoveries: r.recoveries,
    createdAt: r.created_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
  };
}

function batches(conn: Conn) {
  return conn('collection_batches as b')
    .join('collection_batch_progress as p', 'p.batch_id', 'b.id')
    .join('collection_authorisations as a', 'a.id', 'b.authorisation_id')
    .join('collection_teams as t', 't.id', 'b.team_id');
}

export async function insertBatch(
  conn: Conn,
  b: {
    id: string;
    authorisationDbId: number;
    teamDbId: number;
    uploadedBy: string | null;
    contentHash: Buffer;
    fileName: string;
    fileSize: number;
    fileKeySealed: Buffer;
    at: Date;
  },
): Promise<number> {
  const [id] = (await conn('collection_batches').insert({
    public_id: b.id,
    authorisation_id: b.authorisationDbId,
    team_id: b.teamDbId,
    uploaded_by: b.uploadedBy,
    content_hash: b.contentHash,
    file_name: b.fileName,
    file_size: b.fileSize,
    file_key_sealed: b.fileKeySealed,
    status: 'queued',
    created_at: b.at,
    updated_at: b.at,
  })) as number[];
  await conn('collection_batch_progress').insert({ batch_id: id, updated_at: b.at });
  return Number(id);
}

export async function findBatch(
  conn: Conn,
  where: { id: string } | { dbId: number } | { authorisationDbId: number; contentHash: Buffer },
): Promise<BatchRecord | undefined> {
  const q = batches(conn).first(BATCH_COLUMNS);
  if ('id' in where) q.where('b.public_id', where.id);
  else if ('dbId' in where) q.where('b.id', where.dbId);
  else q.where({ 'b.authorisation_id': where.authorisationDbId, 'b.content_hash': where.contentHash });
  const row = (await q) as BatchRow | undefined;
  return row ? toBatch(row) : undefined;
}

/** A failed batch taken up again with the file uploaded anew: queued, from where its checkpoint stands. */
export async function requeueBatch(
  conn: Conn,
  dbId: number,
  file: { fileName: string; fileSize: number; fileKeySealed: Buffer },
  at: Date,
): Promise<void> {
  await conn('collection_batches').where('id', dbId).update({
    status: 'queued',
    failure: null,
    finished_at: null,
    recoveries: 0,
    file_name: file.fileName,
    file_size: file.fileSize,
    file_key_sealed: file.fileKeySealed,
    file_deleted_at: null,
    updated_at: at,
  });
}

export interface BatchProgress {
  doneRows: number;
  accepted: number;
  rejected: number;
  byReason: Record<string, number>;
}

type ProgressRow = Pick<BatchRow, 'done_rows' | 'accepted' | 'rejected' | 'by_reason'>;

const toProgress = (row: ProgressRow): BatchProgress => ({
  doneRows: row.done_rows,
  accepted: row.accepted,
  rejected: row.rejected,
  byReason: JSON.parse(row.by_reason) as Record<string, number>,
});

/** Rows imported and rejected over every batch so far, for the metrics scrape. */
export async function rowTotals(conn: Conn): Promise<{ imported: number; rejected: number }> {
  const row = (await conn('collection_batch_progress').first(
    conn.raw('COALESCE(SUM(accepted), 0) AS imported'),
    conn.raw('COALESCE(SUM(rejected), 0) AS rejected'),
  )) as { imported: number | string; rejected: number | string } | undefined;
  return { imported: Number(row?.imported ?? 0), rejected: Number(row?.rejected ?? 0) };
}

/** Where a batch's import stands; `forUpdate` holds the checkpoint until the caller commits. */
export async function progressOf(
  conn: Conn,
  batchDbId: number,
  opts: { forUpdate?: boolean } = {},
): Promise<BatchProgress | undefined> {
  return findOne(
    conn('collection_batch_progress')
      .where('batch_id', batchDbId)
      .select('done_rows', 'accepted', 'rejected', 'by_reason'),
    toProgress,
    opts,
  );
}

/** Locks the batch row for a change of status and returns the status it has. */
export async function lockBatchStatus(conn: Conn, batchDbId: number): Promise<BatchStatus | undefined> {
  const row = (await conn('collection_batches').where('id', batchDbId).forUpdate().first('status')) as
    { status: BatchStatus } | undefined;
  return row?.status;
}

export async function listBatches(
  conn: Conn,
  filter: { teamDbId?: number; status?: BatchStatus; beforeDbId?: number; limit: number },
): Promise<BatchRecord[]> {
  const q = batches(conn).orderBy('b.id', 'desc').limit(filter.limit).select(BATCH_COLUMNS);
  if (filter.teamDbId !== undefined) q.where('b.team_id', filter.teamDbId);
  if (filter.status) q.where('b.status', filter.status);
  if (filter.beforeDbId) q.where('b.id', '<', filter.beforeDbId);
  return ((await q) as BatchRow[]).map(toBatch);
}

export async function updateBatch(
  conn: Conn,
  dbId: number,
  changes: Partial<{
    status: BatchStatus;
    failure: string;
    totalRows: number;
    startedAt: Date;
    finishedAt: Date;
    recoveries: number;
    fileDeletedAt: Date;
  }>,
  at: Date,
): Promise<void> {
  const columns: Record<string, unknown> = { updated_at: at };
  if (changes.status) columns.status = changes.status;
  if (changes.failure !== undefined) columns.failure = [...changes.failure].slice(0, 300).join('');
  if (changes.totalRows !== undefined) columns.total_rows = changes.totalRows;
  if (changes.startedAt) columns.started_at = changes.startedAt;
  if (changes.finishedAt) columns.finished_at = changes.finishedAt;
  if (changes.recoveries !== undefined) columns.recoveries = changes.recoveries;
  if (changes.fileDeletedAt) columns.file_deleted_at = changes.fileDeletedAt;
  await conn('collection_batches').where('id', dbId).update(columns);
}

/** A chunk's outcome: moves the checkpoint and the counts in the chunk's own transaction. */
export async function recordChunk(
  conn: Conn,
  dbId: number,
  c: { doneRows: number; accepted: number; rejected: number; byReason: Record<string, number>; at: Date },
): Promise<void> {
  await conn('collection_batch_progress')
    .where('batch_id', dbId)
    .update({
      done_rows: c.doneRows,
      accepted: c.accepted,
      rejected: c.rejected,
      by_reason: JSON.stringify(c.byReason),
      updated_at: c.at,
    });
}

/** Batches an import should be running for: queued (perhaps never enqueued) or cut off mid-way. */
export async function unfinishedBatches(
  conn: Conn,
): Promise<Array<{ dbId: number; id: string; status: BatchStatus; recoveries: number; lastActivity: Date }>> {
  const rows = (await conn('collection_batches as b')
    .join('collection_batch_progress as p', 'p.batch_id', 'b.id')
    .whereIn('b.status', ['queued', 'processing'])
    .orderBy('b.id')
    .select(
      'b.id',
      'b.public_id',
      'b.status',
      'b.recoveries',
      'b.updated_at',
      'p.updated_at as progressed_at',
    )) as Array<{
    id: number | string;
    public_id: string;
    status: BatchStatus;
    recoveries: number;
    updated_at: Date;
    progressed_at: Date;
  }>;
  return rows.map((r) => ({
    dbId: Number(r.id),
    id: r.public_id,
    status: r.status,
    recoveries: r.recoveries,
    lastActivity: r.progressed_at > r.updated_at ? r.progressed_at : r.updated_at,
  }));
}

/** Finished batches whose file is still on disk and was finished before `before`. */
export async function batchesWithFilesDue(
  conn: Conn,
  before: Date,
  limit: number,
): Promise<Array<{ dbId: number; id: string }>> {
  const rows = (await conn('collection_batches')
    .whereIn('status', ['completed', 'failed'])
    .whereNull('file_deleted_at')
    .where('finished_at', '<', before)
    .orderBy('id')
    .limit(limit)
    .select('id', 'public_id')) as Array<{ id: number | string; public_id: string }>;
  return rows.map((r) => ({ dbId: Number(r.id), id: r.public_id }));
}

/** Which of these batch ids exist at all (files of other ids are leftovers of failed uploads). */
export async function existingBatchIds(conn: Conn, publicIds: string[]): Promise<Set<string>> {
  if (publicIds.length === 0) return new Set();
  const rows = (await conn('collection_batches')
    .whereIn('public_id', publicIds)
    .select('public_id')) as Array<{ public_id: string }>;
  return new Set(rows.map((r) => r.public_id));
}

/* Rejections ---------------------------------------------------------------------------------------- */

export interface RejectionRecord {
  row: number;
  recordNo: string;
  reasons: string[];
}

export async function insertRejections(
  conn: Conn,
  batchDbId: number,
  rows: RejectionRecord[],
): Promise<void> {
  if (rows.length === 0) return;
  await conn('collection_batch_rejections').insert(
    rows.map((r) => ({
      batch_id: batchDbId,
      row_no: r.row,
      record_no: r.recordNo,
      reasons: r.reasons.join(','),
    })),
  );
}

export async function listRejections(
  conn: Conn,
  batchDbId: number,
  afterRow: number,
  limit: number,
): Promise<RejectionRecord[]> {
  const rows = (await conn('collection_batch_rejections')
    .where('batch_id', batchDbId)
    .where('row_no', '>', afterRow)
    .orderBy('row_no')
    .limit(limit)
    .select('row_no', 'record_no', 'reasons')) as Array<{
    row_no: number;
    record_no: string;
    reasons: string;
  }>;
  return rows.map((r) => ({ row: r.row_no, recordNo: r.record_no, reasons: r.reasons.split(',') }));
}

/* What the import reads and writes in bulk --------------------------------------------------------- */

export interface NamedSlot {
  /** A named card that is produced, active or temporarily lost. */
  liveCard: boolean;
  /** A named card ever collected: a new application is then a reissue. */
  hadCard: boolean;
  /** An application still open that some other channel or batch made. */
  openElsewhere: boolean;
  /** An application this batch already made (for an earlier row). */
  madeByBatch: boolean;
}

/**
 * Everything the one-named-card rule needs about these residents, in two queries. Replacement and
 * exchange applications count as open too: they already hold the resident's slot.
 */
export async function namedSlots(
  conn: Conn,
  residentDbIds: number[],
  batchDbId: number,
): Promise<Map<number, NamedSlot>> {
  const out = new Map<number, NamedSlot>();
  if (residentDbIds.length === 0) return out;
  const slot = (id: number) => {
    let s = out.get(id);
    if (!s) {
      s = { liveCard: false, hadCard: false, openElsewhere: false, madeByBatch: false };
      out.set(id, s);
    }
    return s;
  };
  const [cards, applications] = await Promise.all([
    conn('cards')
      .whereIn('resident_id', residentDbIds)
      .whereIn('type', ['B', 'C_NAMED'])
      .groupBy('resident_id')
      .select(
        'resident_id',
        conn.raw('MAX(live_named_resident_id IS NOT NULL) AS live'),
        conn.raw('MAX(collected_at IS NOT NULL) AS held'),
      ) as Promise<Array<{ resident_id: number | string; live: number | string; held: number | string }>>,
    conn('applications')
      .whereIn('resident_id', residentDbIds)
      .where((w) =>
        w.whereIn('status', ['submitted', 'in_production', 'ready']).orWhere('batch_id', batchDbId),
      )
      .select('resident_id', 'batch_id', 'status') as Promise<
      Array<{ resident_id: number | string; batch_id: number | string | null; status: string }>
    >,
  ]);
  for (const c of cards) {
    const s = slot(Number(c.resident_id));
    s.hadCard = Number(c.held) === 1;
    s.liveCard = Number(c.live) === 1;
  }
  for (const a of applications) {
    const s = slot(Number(a.resident_id));
    if (a.batch_id !== null && Number(a.batch_id) === batchDbId) s.madeByBatch = true;
    else s.openElsewhere = true;
  }
  return out;
}

export async function residentDbIdsByHash(conn: Conn, hashes: Buffer[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  if (hashes.length === 0) return out;
  const rows = (await conn('residents')
    .whereIn('id_number_hash', hashes)
    .select('id', 'id_number_hash')) as Array<{ id: number | string; id_number_hash: Buffer }>;
  for (const r of rows) out.set(r.id_number_hash.toString('hex'), Number(r.id));
  return out;
}

export interface BatchApplicationWrite {
  applicationNo: string;
  residentDbId: number;
  cardType: 'B' | 'C_NAMED';
  bank: string | null;
  reason: 'first' | 'reissue';
  centre: string;
  feeItem: string | null;
  feeAmountFen: number;
  appliedOn: string;
  createdBy: string | null;
  createdAt: Date;
  batchDbId: number;
  batchRow: number;
}

/** Applications from a batch, one statement; the caller retries with new numbers on a clash. */
export async function insertApplications(conn: Conn, list: BatchApplicationWrite[]): Promise<void> {
  if (list.length === 0) return;
  await conn('applications').insert(
    list.map((a) => ({
      application_no: a.applicationNo,
      resident_id: a.residentDbId,
      card_type: a.cardType,
      bank: a.bank,
      reason: a.reason,
      status: 'submitted',
      centre_code: a.centre,
      channel: 'collection',
      fee_item: a.feeItem,
      fee_amount_fen: a.feeAmountFen,
      applied_on: a.appliedOn,
      created_by: a.createdBy,
      created_at: a.createdAt,
      updated_at: a.createdAt,
      batch_id: a.batchDbId,
      batch_row: a.batchRow,
    })),
  );
}

/** The database ids of a batch's applications for rows in [fromRow, toRow], by row. */
export async function applicationDbIdsByRow(
  conn: Conn,
  batchDbId: number,
  fromRow: number,
  toRow: number,
): Promise<Map<number, number>> {
  const rows = (await conn('applications')
    .where('batch_id', batchDbId)
    .whereBetween('batch_row', [fromRow, toRow])
    .select('id', 'batch_row')) as Array<{ id: number | string; batch_row: number }>;
  return new Map(rows.map((r) => [r.batch_row, Number(r.id)]));
}

export interface BatchReceiptWrite {
  receiptNo: string;
  applicationDbId: number;
  centre: string;
  expectedReadyDate: string;
  deadline: string;
  createdAt: Date;
}

export async function insertReceipts(conn: Conn, list: BatchReceiptWrite[]): Promise<void> {
  if (list.length === 0) return;
  await conn('receipts').insert(
    list.map((r) => ({
      receipt_no: r.receiptNo,
      application_id: r.applicationDbId,
      centre_code: r.centre,
      expected_ready_date: r.expectedReadyDate,
      deadline: r.deadline,
      created_at: r.createdAt,
    })),
  );
}
