import { findOne, type Conn } from '../../platform/db';
import { inSavepoint, isDuplicateKey } from '../../platform/db';
import { randomDigits, withLuhn } from '../../platform/numbers';
import { localDate } from '../../platform/dates';

export type NamedCardType = 'B' | 'C_NAMED';
export type ApplicationReason = 'first' | 'reissue' | 'replacement' | 'exchange';
export type ApplicationStatus =
  'submitted' | 'in_production' | 'ready' | 'collected' | 'cancelled' | 'sealed';
export const OPEN_STATUSES: ApplicationStatus[] = ['submitted', 'in_production', 'ready'];

export interface ApplicationRecord {
  dbId: number;
  applicationNo: string;
  residentDbId: number;
  cardType: NamedCardType;
  bank: string | null;
  reason: ApplicationReason;
  status: ApplicationStatus;
  centre: string;
  channel: string;
  feeItem: string | null;
  feeAmountFen: number;
  waiverReason: string | null;
  waiverApprovedBy: string | null;
  exchangeReason: string | null;
  replacesCardDbId: number | null;
  appliedOn: string;
  createdAt: Date;
}

export interface ReceiptRecord {
  receiptNo: string;
  applicationDbId: number;
  centre: string;
  expectedReadyDate: string;
  deadline: string;
}

interface Row {
  id: number | string;
  application_no: string;
  resident_id: number | string;
  card_type: NamedCardType;
  bank: string | null;
  reason: ApplicationReason;
  status: ApplicationStatus;
  centre_code: string;
  channel: string;
  fee_item: string | null;
  fee_amount_fen: number;
  waiver_reason: string | null;
  waiver_approved_by: string | null;
  exchange_reason: string | null;
  replaces_card_id: number | string | null;
  applied_on: string;
  created_at: Date;
}

const COLUMNS = [
  'id',
  'application_no',
  'resident_id',
  'card_type',
  'bank',
  'reason',
  'status',
  'centre_code',
  'channel',
  'fee_item',
  'fee_amount_fen',
  'waiver_reason',
  'waiver_approved_by',
  'exchange_reason',
  'replaces_card_id',
  'applied_on',
  'created_at',
];

function fromRow(r: Row): ApplicationRecord {
  return {
    dbId: Number(r.id),
    applicationNo: r.application_no,
    residentDbId: Number(r.resident_id),
    cardType: r.card_type,
    bank: r.bank,
    reason: r.reason,
    status: r.status,
    centre: r.centre_code,
    channel: r.channel,
    feeItem: r.fee_item,
    feeAmountFen: r.fee_amount_fen,
    waiverReason: r.waiver_reason,
    waiverApprovedBy: r.waiver_approved_by,
    exchangeReason: r.exchange_reason,
    replacesCardDbId: r.replaces_card_id === null ? null : Number(r.replaces_card_id),
    appliedOn: r.applied_on,
    createdAt: r.created_at,
  };
}

export type NewApplication = Omit<ApplicationRecord, 'dbId' | 'applicationNo' | 'status'> & {
  createdBy: string | null;
};

/**
 * Application numbers: the day, 11 random digits and a Luhn digit, so that a day of 100,000 batch
 * applications rarely draws the same number twice (and a clash simply draws again). Receipt numbers:
 * 11 random digits and a Luhn digit.
 */
export function newApplicationNumber(at: Date): string {
  return withLuhn(localDate(at).replaceAll('-', '') + randomDigits(11));
}

export function newReceiptNumber(): string {
  return withLuhn(randomDigits(11, true));
}

/** Inserts an application and its receipt; clashes of random numbers draw again, other clashes surface. */
export async function insertApplicationWithReceipt(
  conn: Conn,
  app: NewApplication,
  receipt: Omit<ReceiptRecord, 'receiptNo' | 'applicationDbId'>,
): Promise<{ application: ApplicationRecord; receipt: ReceiptRecord }> {
  let application: ApplicationRecord | undefined;
  for (let attempt = 0; !application; attempt++) {
    const applicationNo = newApplicationNumber(app.createdAt);
    try {
      const ids = await inSavepoint(conn, async (sp): Promise<number[]> =>
        sp('applications').insert({
          application_no: applicationNo,
          resident_id: app.residentDbId,
          card_type: app.cardType,
          bank: app.bank,
          reason: app.reason,
          status: 'submitted',
          centre_code: app.centre,
          channel: app.channel,
          fee_item: app.feeItem,
          fee_amount_fen: app.feeAmountFen,
          waiver_reason: app.waiverReason,
          waiver_approved_by: app.waiverApprovedBy,
          exchange_reason: app.exchangeReason,
          replaces_card_id: app.replacesCardDbId,
          applied_on: app.appliedOn,
          created_by: app.createdBy,
          created_at: app.createdAt,
          updated_at: app.createdAt,
        }),
      );
      application = { ...app, dbId: Number(ids[0]), applicationNo, status: 'submitted' };
    } catch (err) {
      if (!isDuplicateKey(err, 'applications_no') || attempt >= 5) throw err;
    }
  }
  for (let attempt = 0; ; attempt++) {
    const receiptNo = newReceiptNumber();
    try {
      await inSavepoint(conn, (sp) =>
        sp('receipts').insert({
          receipt_no: receiptNo,
          application_id: application.dbId,
          centre_code: receipt.centre,
          expected_ready_date: receipt.expectedReadyDate,
          deadline: receipt.deadline,
          created_at: app.createdAt,
        }),
      );
      return { application, receipt: { ...receipt, receiptNo, applicationDbId: application.dbId } };
    } catch (err) {
      if (!isDuplicateKey(err, 'PRIMARY') || attempt >= 5) throw err;
    }
  }
}

export async function findByNo(
  conn: Conn,
  applicationNo: string,
  opts: { forUpdate?: boolean } = {},
): Promise<ApplicationRecord | undefined> {
  return findOne(conn('applications').where('application_no', applicationNo).select(COLUMNS), fromRow, opts);
}

export async function findByDbId(
  conn: Conn,
  dbId: number,
  opts: { forUpdate?: boolean } = {},
): Promise<ApplicationRecord | undefined> {
  return findOne(conn('applications').where('id', dbId).select(COLUMNS), fromRow, opts);
}

export async function openNamedApplicationOf(
  conn: Conn,
  residentDbId: number,
): Promise<ApplicationRecord | undefined> {
  const row = (await conn('applications')
    .where('resident_id', residentDbId)
    .whereIn('status', OPEN_STATUSES)
    .first(COLUMNS)) as Row | undefined;
  return row ? fromRow(row) : undefined;
}

export async function applicationsOfResident(conn: Conn, residentDbId: number): Promise<ApplicationRecord[]> {
  const rows = (await conn('applications')
    .where('resident_id', residentDbId)
    .orderBy('id', 'desc')
    .select(COLUMNS)) as Row[];
  return rows.map(fromRow);
}

export async function listApplications(
  conn: Conn,
  filter: { status?: string; centre?: string; afterId?: number; limit: number },
): Promise<ApplicationRecord[]> {
  const q = conn('applications').orderBy('id', 'asc').limit(filter.limit).select(COLUMNS);
  if (filter.status) q.where('status', filter.status);
  if (filter.centre) q.where('centre_code', filter.centre);
  if (filter.afterId) q.where('id', '>', filter.afterId);
  return ((await q) as Row[]).map(fromRow);
}

export async function updateApplication(
  conn: Conn,
  dbId: number,
  changes: Partial<{
    status: ApplicationStatus;
    readyAt: Date;
    collectedAt: Date;
    collectedByOperator: string;
    pickupAgentName: string | null;
    pickupAgentIdMasked: string | null;
    pickupAgentIdSealed: Buffer | null;
    pickupAgentRelation: string | null;
    cancelledAt: Date;
  }>,
  at: Date,
): Promise<void> {
  const columns: Record<string, unknown> = { updated_at: at };
  if (changes.status) columns.status = changes.status;
  if (changes.readyAt) columns.ready_at = changes.readyAt;
  if (changes.collectedAt) columns.collected_at = changes.collectedAt;
  if (changes.collectedByOperator) columns.collected_by_operator = changes.collectedByOperator;
  if (changes.pickupAgentName !== undefined) columns.pickup_agent_name = changes.pickupAgentName;
  if (changes.pickupAgentIdMasked !== undefined) columns.pickup_agent_id_masked = changes.pickupAgentIdMasked;
  if (changes.pickupAgentIdSealed !== undefined) columns.pickup_agent_id_sealed = changes.pickupAgentIdSealed;
  if (changes.pickupAgentRelation !== undefined) columns.pickup_agent_relation = changes.pickupAgentRelation;
  if (changes.cancelledAt) columns.cancelled_at = changes.cancelledAt;
  await conn('applications').where('id', dbId).update(columns);
}

interface ReceiptRow {
  receipt_no: string;
  application_id: number | string;
  centre_code: string;
  expected_ready_date: string;
  deadline: string;
}

const toReceipt = (r: ReceiptRow): ReceiptRecord => ({
  receiptNo: r.receipt_no,
  applicationDbId: Number(r.application_id),
  centre: r.centre_code,
  expectedReadyDate: r.expected_ready_date,
  deadline: r.deadline,
});

export async function receiptOf(conn: Conn, applicationDbId: number): Promise<ReceiptRecord | undefined> {
  const row = (await conn('receipts').where('application_id', applicationDbId).first()) as
    ReceiptRow | undefined;
  return row ? toReceipt(row) : undefined;
}

export async function findReceipt(conn: Conn, receiptNo: string): Promise<ReceiptRecord | undefined> {
  const row = (await conn('receipts').where('receipt_no', receiptNo).first()) as ReceiptRow | undefined;
  return row ? toReceipt(row) : undefined;
}

/** Submitted applications for a production run; rows another run holds are skipped, not waited for. */
export async function claimSubmitted(
  conn: Conn,
  filter: { centre: string | null; limit: number },
): Promise<ApplicationRecord[]> {
  const q = conn('applications')
    .where('status', 'submitted')
    .orderBy('id')
    .limit(filter.limit)
    .select(COLUMNS)
    .forUpdate()
    .skipLocked();
  if (filter.centre) q.where('centre_code', filter.centre);
  return ((await q) as Row[]).map(fromRow);
}

export async function markReady(conn: Conn, dbIds: number[], at: Date): Promise<void> {
  if (dbIds.length)
    await conn('applications').whereIn('id', dbIds).update({ status: 'ready', ready_at: at, updated_at: at });
}

export async function countApplications(conn: Conn): Promise<number> {
  const row = (await conn('applications').count({ n: '*' }).first()) as { n: number | string };
  return Number(row.n);
}

/** Ready applications whose pickup deadline has passed: the sealing job's work list. */
export async function readyPastDeadline(conn: Conn, today: string, limit: number): Promise<number[]> {
  const rows = (await conn('applications as a')
    .join('receipts as r', 'r.application_id', 'a.id')
    .where('a.status', 'ready')
    .where('r.deadline', '<', today)
    .orderBy('a.id')
    .limit(limit)
    .select('a.id')) as Array<{ id: number | string }>;
  return rows.map((r) => Number(r.id));
}
