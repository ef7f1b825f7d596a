/**
 * Writes a batch chunk by chunk. Each chunk is one transaction: the rows' outcomes, the residents,
 * applications and receipts of the accepted ones, their audit events and the batch's checkpoint commit
 * or roll back together, so a chunk is written once or not at all.
 *
 * A few chunks are written at the same time on their own connections, so the database's work is
 * spread over its threads, but they are decided and committed strictly in file order:
 * - a chunk decides its rows only after the chunk before it has decided its own, and the people that
 *   chunk accepted are known here even before they are committed (for DUPLICATE_IN_BATCH);
 * - a chunk moves the checkpoint only after the chunk before it has committed, and only from exactly
 *   where that one left it. If any chunk fails, every chunk after it rolls back as well, and the import
 *   starts again from the checkpoint: nothing is skipped and nothing written twice, whatever was killed.
 */
import { recordAudit, type AuditEntry } from '../../../platform/audit';
import type { RequestContext } from '../../../platform/context';
import { inSavepoint, isDuplicateKey, type Db, type Trx } from '../../../platform/db';
import type { PiiVault } from '../../../platform/pii';
import { applicationAuditView, applicationsRepository, type ApplicationRecord } from '../../applications';
import { feeDue } from '../../fees';
import {
  openResident,
  residentAuditView,
  residentsRepository,
  sealResident,
  type ResidentData,
  type ResidentRecord,
} from '../../residents';
import type { ReasonCode } from '../reasons';
import * as repo from '../repository';
import type { CheckedRow } from './rows';

type ResidentWrite = ReturnType<typeof sealResident>;

/** A checked row with its personal data already sealed, ready to be written. */
export interface PreparedRow extends CheckedRow {
  /** Keyed hash of the identity number, when it is valid. */
  hash?: Buffer;
  /** The resident as a new row would store it, when the row has no defect of its own. */
  write?: ResidentWrite;
}

export function prepareRow(row: CheckedRow, vault: PiiVault): PreparedRow {
  if (row.application) {
    const write = sealResident(row.application.data, vault);
    return { ...row, write, hash: write.idNumberHash };
  }
  if (row.person) return { ...row, hash: vault.lookupHash(row.person.facts.idNumber) };
  return row;
}

export interface ChunkJob {
  batchDbId: number;
  batchId: string;
  /** Whose upload this is: audit events name the collector, channel `collection`. */
  ctx: RequestContext;
  createdBy: string | null;
  vault: PiiVault;
  receiptDates: ReceiptDates;
  /** The import's day: the applications' date, from which receipts count working days. */
  today: string;
  now: () => Date;
}

/** Expected ready date and deadline by the holder's age (the import's day is the same for all rows). */
export type ReceiptDates = (holderAge: number) => Promise<{ expectedReadyDate: string; deadline: string }>;

export interface ChunkOutcome {
  doneRows: number;
  accepted: number;
  rejected: number;
}

/** The checkpoint is not where this attempt expected it: someone else moved it, or a chunk was lost. */
export class BatchOutOfStepError extends Error {
  constructor(batchId: string, done: number, first: number) {
    super(`batch ${batchId} has ${done} rows done but the chunk starts at row ${first}`);
    this.name = 'BatchOutOfStepError';
  }
}

/** Draws of random numbers that collide with stored ones are rare; a few fresh draws always suffice. */
const NUMBER_ATTEMPTS = 6;

interface Ticket {
  /** Settles (either way) once the chunk has decided its rows. */
  decided: Promise<void>;
  committed: Promise<ChunkOutcome>;
}

/**
 * Runs chunks as described at the top of this file. `submit` waits while `depth` chunks are in flight;
 * `drain` waits for all of them and throws the first failure.
 */
export class ChunkPipeline {
  /** People accepted by chunks that have decided their rows but not yet committed them. */
  private readonly acceptedInFlight = new Set<string>();
  private readonly inFlight: Promise<ChunkOutcome>[] = [];
  private last: Ticket;

  constructor(
    private readonly db: Db,
    private readonly job: ChunkJob,
    private readonly depth: number,
    private readonly onCommitted: (outcome: ChunkOutcome) => void,
  ) {
    this.last = {
      decided: Promise.resolve(),
      committed: Promise.resolve({ doneRows: 0, accepted: 0, rejected: 0 }),
    };
  }

  async submit(rows: PreparedRow[]): Promise<void> {
    const previous = this.last;
    let decide!: () => void;
    const decided = new Promise<void>((resolve) => (decide = resolve));
    const accepted: string[] = [];
    const committed = this.db
      .transaction((trx) => this.write(trx, rows, previous, accepted, decide))
      .finally(() => {
        decide();
        for (const key of accepted) this.acceptedInFlight.delete(key);
      });
    committed.then(this.onCommitted, () => undefined);
    this.last = { decided, committed };
    this.inFlight.push(committed);
    if (this.inFlight.length >= this.depth) await this.inFlight.shift();
  }

  async drain(): Promise<void> {
    while (this.inFlight.length) await this.inFlight.shift();
  }

  /** Waits for every chunk to end, whatever the outcome: after a failure, before starting again. */
  async settle(): Promise<void> {
    await Promise.allSettled(this.inFlight.splice(0));
  }

  private async write(
    trx: Trx,
    rows: PreparedRow[],
    previous: Ticket,
    acceptedKeys: string[],
    decide: () => void,
  ): Promise<ChunkOutcome> {
    const job = this.job;
    await previous.decided;
    const first = rows[0];
    if (!first) return previous.committed;
    const now = job.now();

    // taken before the reads below: a chunk that commits in between is then seen in one or the other
    const acceptedEarlier = new Set(this.acceptedInFlight);
    const hashes = new Map<string, Buffer>();
    for (const r of rows) if (r.hash) hashes.set(r.hash.toString('hex'), r.hash);
    // the residents' row locks queue a counter applying for one of them behind this chunk, and vice versa
    const known = await residentsRepository.findManyByIdNumberHash(trx, [...hashes.values()], true);
    const slots = await repo.namedSlots(
      trx,
      [...known.values()].map((r) => r.dbId),
      job.batchDbId,
    );

    const rejections: repo.RejectionRecord[] = [];
    const accepted: Accepted[] = [];
    for (const r of rows) {
      const reasons: ReasonCode[] = [...r.reasons];
      const key = r.hash?.toString('hex');
      const resident = key === undefined ? undefined : known.get(key);
      const slot = resident && slots.get(resident.dbId);
      if (key !== undefined && r.person) {
        if (acceptedEarlier.has(key) || slot?.madeByBatch) reasons.push('DUPLICATE_IN_BATCH');
        else if (resident) {
          // another name on file: which person the row means is in doubt, so that is its one defect
          if (r.person.nameValid && resident.name !== r.person.name) reasons.push('RESIDENT_CONFLICT');
          else if (slot?.liveCard || slot?.openElsewhere) reasons.push('NAMED_CARD_EXISTS');
        }
      }
      if (reasons.length > 0 || !r.application || !r.write || !r.hash || key === undefined) {
        rejections.push({ row: r.row, recordNo: r.recordNo, reasons });
        continue;
      }
      acceptedEarlier.add(key);
      this.acceptedInFlight.add(key);
      acceptedKeys.push(key);
      accepted.push({ row: r as Accepted['row'], known: resident, reissue: slot?.hadCard ?? false });
    }
    decide();

    const audits: AuditEntry[] = [];
    const residentDbIds = await writeResidents(trx, job, accepted, audits, now);
    await writeApplications(trx, job, accepted, residentDbIds, audits, now);
    await repo.insertRejections(trx, job.batchDbId, rejections);
    await recordAudit(trx, job.ctx, audits, now);

    // the checkpoint moves only from where the chunk before this one left it, after it has committed
    await previous.committed;
    const progress = await repo.progressOf(trx, job.batchDbId, { forUpdate: true });
    if (!progress || progress.doneRows !== first.row - 1) {
      throw new BatchOutOfStepError(job.batchId, progress?.doneRows ?? -1, first.row);
    }
    const byReason = { ...progress.byReason };
    for (const r of rejections) for (const code of r.reasons) byReason[code] = (byReason[code] ?? 0) + 1;
    const outcome: ChunkOutcome = {
      doneRows: rows[rows.length - 1]!.row,
      accepted: progress.accepted + accepted.length,
      rejected: progress.rejected + rejections.length,
    };
    await repo.recordChunk(trx, job.batchDbId, { ...outcome, byReason, at: now });
    return outcome;
  }
}

interface Accepted {
  row: PreparedRow & Required<Pick<PreparedRow, 'application' | 'write' | 'hash'>>;
  known: ResidentRecord | undefined;
  reissue: boolean;
}

/** Creates the new residents in one statement and updates the known ones; returns database ids by hash. */
async function writeResidents(
  trx: Trx,
  job: ChunkJob,
  accepted: Accepted[],
  audits: AuditEntry[],
  now: Date,
): Promise<Map<string, number>> {
  const fresh = accepted.filter((a) => !a.known).map((a) => a.row.write);
  await residentsRepository.insertResidents(trx, fresh, now);
  const ids = await repo.residentDbIdsByHash(
    trx,
    fresh.map((w) => w.idNumberHash),
  );
  for (const w of fresh) {
    audits.push({
      action: 'resident.registered',
      entityType: 'resident',
      entityId: w.id,
      after: residentAuditView(w),
    });
  }
  for (const a of accepted) {
    if (!a.known) continue;
    ids.set(a.row.hash.toString('hex'), a.known.dbId);
    // the collector's contact data is the newer: it replaces what is on file, as at the counter
    const current = openResident(a.known, job.vault);
    const given = a.row.application.data;
    const merged: ResidentData = {
      ...current,
      ethnicity: given.ethnicity ?? current.ethnicity,
      phone: given.phone,
      address: given.address ?? current.address,
      town: given.town,
      community: given.community ?? current.community,
      guardian: given.guardian ?? current.guardian,
    };
    if (JSON.stringify(merged) === JSON.stringify(current)) continue;
    const write = sealResident(merged, job.vault, a.known.id);
    await residentsRepository.updateResident(trx, a.known.dbId, write, now);
    audits.push({
      action: 'resident.updated',
      entityType: 'resident',
      entityId: a.known.id,
      before: residentAuditView(a.known),
      after: residentAuditView(write),
    });
  }
  return ids;
}

/**
 * One named application and receipt per accepted row. A first card is free. A resident who had a named
 * card before applies as a reissue: nobody may take money at the door, so the replacement fee in force
 * on the import day is recorded on the application and paid at the counter.
 */
async function writeApplications(
  trx: Trx,
  job: ChunkJob,
  accepted: Accepted[],
  residentDbIds: Map<string, number>,
  audits: AuditEntry[],
  now: Date,
): Promise<void> {
  if (accepted.length === 0) return;
  const reissueFee = accepted.some((a) => a.reissue)
    ? await feeDue(trx, 'replacement', job.today)
    : undefined;
  const planned = accepted.map((a) => {
    const app = a.row.application;
    const residentDbId = residentDbIds.get(a.row.hash.toString('hex'));
    if (residentDbId === undefined) throw new Error(`resident of row ${a.row.row} was not written`);
    return {
      a,
      write: {
        applicationNo: '',
        residentDbId,
        cardType: app.cardType,
        bank: app.bank,
        reason: a.reissue ? 'reissue' : 'first',
        centre: app.centre,
        feeItem: a.reissue ? 'replacement' : null,
        feeAmountFen: a.reissue ? (reissueFee?.amountFen ?? 0) : 0,
        appliedOn: job.today,
        createdBy: job.createdBy,
        createdAt: now,
        batchDbId: job.batchDbId,
        batchRow: a.row.row,
      } satisfies repo.BatchApplicationWrite,
    };
  });

  await withFreshNumbers(
    trx,
    'applications_no',
    () => {
      const drawn = distinct(planned.length, () => applicationsRepository.newApplicationNumber(now));
      planned.forEach((p, i) => (p.write.applicationNo = drawn[i]!));
    },
    (sp) =>
      repo.insertApplications(
        sp,
        planned.map((p) => p.write),
      ),
  );
  const appIds = await repo.applicationDbIdsByRow(
    trx,
    job.batchDbId,
    planned[0]!.write.batchRow,
    planned[planned.length - 1]!.write.batchRow,
  );

  const receipts: repo.BatchReceiptWrite[] = [];
  for (const p of planned) {
    const dates = await job.receiptDates(p.a.row.application.age);
    receipts.push({
      receiptNo: '',
      applicationDbId: appIds.get(p.write.batchRow)!,
      centre: p.write.centre,
      ...dates,
      createdAt: now,
    });
  }
  await withFreshNumbers(
    trx,
    'PRIMARY',
    () => {
      const drawn = distinct(receipts.length, () => applicationsRepository.newReceiptNumber());
      receipts.forEach((r, i) => (r.receiptNo = drawn[i]!));
    },
    (sp) => repo.insertReceipts(sp, receipts),
  );

  planned.forEach((p, i) => {
    const record: ApplicationRecord = {
      dbId: appIds.get(p.write.batchRow)!,
      applicationNo: p.write.applicationNo,
      residentDbId: p.write.residentDbId,
      cardType: p.write.cardType,
      bank: p.write.bank,
      reason: p.write.reason,
      status: 'submitted',
      centre: p.write.centre,
      channel: 'collection',
      feeItem: p.write.feeItem,
      feeAmountFen: p.write.feeAmountFen,
      waiverReason: null,
      waiverApprovedBy: null,
      exchangeReason: null,
      replacesCardDbId: null,
      appliedOn: p.write.appliedOn,
      createdAt: now,
    };
    audits.push({
      action: 'application.submitted',
      entityType: 'application',
      entityId: record.applicationNo,
      after: applicationAuditView(record, {
        residentId: p.a.known?.id ?? p.a.row.write.id,
        receiptNo: receipts[i]!.receiptNo,
        batchId: job.batchId,
        row: p.a.row.row,
      }),
    });
  });
}

function distinct(count: number, draw: () => string): string[] {
  const out = new Set<string>();
  while (out.size < count) out.add(draw());
  return [...out];
}

/** Inserts in a savepoint; when a random number clashes with a stored one, draws all again and retries. */
async function withFreshNumbers(
  trx: Trx,
  uniqueKey: string,
  draw: () => void,
  insert: (sp: Trx) => Promise<void>,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    draw();
    try {
      await inSavepoint(trx, insert);
      return;
    } catch (err) {
      if (attempt >= NUMBER_ATTEMPTS || !isDuplicateKey(err, uniqueKey)) throw err;
    }
  }
}
