import { UnrecoverableError } from 'bullmq';
import Joi from 'joi';
import { recordAudit } from '../../../platform/audit';
import { systemContext, type RequestContext } from '../../../platform/context';
import { localDate } from '../../../platform/dates';
import { inTransaction, isDuplicateKey, isRetryableTransactionError, type Db } from '../../../platform/db';
import type { PiiVault } from '../../../platform/pii';
import { HandBack, type JobDeps, type JobDefinition, type JobProgress } from '../../../platform/queue';
import { SealedFileError } from '../../../platform/sealed-file';
import { ReceiptDateCalculator } from '../../applications';
import { referenceRepository } from '../../reference';
import type { RawRow } from '../parsing/columns';
import { BatchFileError } from '../parsing/errors';
import { countRows, readBatchRows } from '../parsing/reader';
import * as repo from '../repository';
import { BatchFiles } from '../storage';
import {
  BatchOutOfStepError,
  ChunkPipeline,
  prepareRow,
  type ChunkJob,
  type ChunkOutcome,
  type PreparedRow,
  type ReceiptDates,
} from './chunk';
import { checkRow, type RowRules } from './rows';

/** Rows per transaction: few statements per row, locks held for a fraction of a second. */
export const CHUNK_ROWS = 1000;
/** Chunks written at the same time, each on its own connection. */
const CHUNKS_IN_FLIGHT = 3;
const ATTEMPTS = 5;
/** Starts from the checkpoint within one attempt, after a deadlock or a clash with a counter. */
const RESTARTS = 5;

export interface ImportBatchPayload {
  batchId: string;
}

export interface ImportSummary {
  status: repo.BatchStatus;
  accepted: number;
  rejected: number;
}

/**
 * Imports an uploaded batch. The payload is the batch id: the file stays on disk, encrypted. Progress
 * lives in the database, so any attempt — after a retry, a crash, a kill -9 — resumes after the last
 * committed chunk.
 */
export const importBatch: JobDefinition<ImportBatchPayload> = {
  name: 'import-batch',
  queue: 'collection',
  payload: Joi.object({ batchId: Joi.string().guid().required() }),
  options: (p) => ({
    jobId: `import-${p.batchId}`,
    attempts: ATTEMPTS,
    backoff: { type: 'exponential', delay: 2000 },
    removeOnComplete: 1000,
    removeOnFail: 5000,
  }),
  handle: ({ batchId }, deps, job) => runImport(deps, batchId, job),
};

/** Why a file can never be read; anything else may pass (a database restart, say) and is retried. */
function unreadable(err: unknown): string | undefined {
  if (err instanceof BatchFileError) return err.message;
  if (err instanceof SealedFileError) return '存储的文件已损坏，无法读取';
  if ((err as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') return '存储的文件已不存在';
  return undefined;
}

/** What starting again from the checkpoint can cure without waiting for another attempt. */
function passing(err: unknown): boolean {
  return (
    isRetryableTransactionError(err) ||
    // a counter registered one of the batch's people between the chunk's look-up and its insert
    isDuplicateKey(err, 'residents_id_number_hash') ||
    err instanceof BatchOutOfStepError
  );
}

export async function runImport(
  deps: Pick<JobDeps, 'db' | 'vault' | 'clock' | 'config' | 'logger'>,
  batchId: string,
  job?: JobProgress,
): Promise<ImportSummary> {
  const { db, vault, clock } = deps;
  const batch = await repo.findBatch(db, { id: batchId });
  if (!batch) throw new UnrecoverableError(`batch ${batchId} does not exist`);
  if (batch.status === 'completed' || batch.status === 'failed') return summary(batch);
  const files = new BatchFiles(deps.config.uploadDir, vault);
  const open = () => files.open(batch.id, batch.fileKeySealed);
  try {
    const total = batch.totalRows ?? (await countRows(open));
    await start(db, batch, total, clock.now());
    const letter = (await repo.findAuthorisation(db, { dbId: batch.authorisationDbId }))!;
    const today = localDate(clock.now());
    const rules: RowRules = {
      today,
      area: letter.towns === null ? null : new Set(letter.towns),
      centres: await referenceRepository.defaultCentresByTown(db),
      banks: new Set(await referenceRepository.bankNames(db)),
      validFrom: letter.validFrom,
      validUntil: letter.validUntil,
    };
    const chunkJob: ChunkJob = {
      batchDbId: batch.dbId,
      batchId: batch.id,
      ctx: uploaderContext(batch),
      createdBy: batch.uploadedBy,
      vault,
      receiptDates: await receiptDatesOn(db, today),
      today,
      now: () => clock.now(),
    };
    const progressed = (outcome: ChunkOutcome) => {
      // the database holds the progress; the job's copy only feeds the dashboard
      job?.updateProgress({ done: outcome.doneRows, total }).catch(() => undefined);
    };
    for (let restart = 0; ; restart++) {
      const done = (await repo.progressOf(db, batch.dbId))!.doneRows;
      const pipeline = new ChunkPipeline(db, chunkJob, CHUNKS_IN_FLIGHT, progressed);
      try {
        await importRows(readBatchRows(open), rules, vault, done, pipeline, job?.shutdown);
        break;
      } catch (err) {
        await pipeline.settle();
        if (restart >= RESTARTS || !passing(err)) throw err;
        deps.logger.warn(
          { batchId, err: { message: (err as Error).message } },
          'batch import starts again from its checkpoint',
        );
      }
    }
    await finish(db, batch, clock.now());
  } catch (err) {
    if (err instanceof HandBack) throw err;
    const reason = unreadable(err);
    if (reason !== undefined) {
      await fail(db, batch, reason, clock.now());
      throw new UnrecoverableError(`batch ${batchId}: ${reason}`);
    }
    if (job && job.attemptsMade + 1 >= ATTEMPTS) {
      await fail(db, batch, '导入多次失败，请稍后重新上传或联系管理员', clock.now());
    }
    throw err;
  }
  const finished = await repo.findBatch(db, { id: batchId });
  return summary(finished!);
}

/**
 * Reads, checks and seals the next chunk while earlier ones are being written, so the CPU and the
 * database work at the same time.
 */
async function importRows(
  rows: AsyncIterable<RawRow>,
  rules: RowRules,
  vault: PiiVault,
  alreadyDone: number,
  pipeline: ChunkPipeline,
  shutdown?: AbortSignal,
): Promise<void> {
  let chunk: PreparedRow[] = [];
  for await (const raw of rows) {
    if (raw.row <= alreadyDone) continue;
    chunk.push(prepareRow(checkRow(raw, rules), vault));
    if (chunk.length >= CHUNK_ROWS) {
      if (shutdown?.aborted) {
        // chunk boundaries are the checkpoints: let the ones in flight commit, leave the rest
        await pipeline.drain();
        throw new HandBack('batch import');
      }
      await pipeline.submit(chunk);
      chunk = [];
    }
  }
  if (chunk.length) await pipeline.submit(chunk);
  await pipeline.drain();
}

/**
 * Every row of a batch is applied for on the import's day, so the dates depend on the holder's age
 * alone. The calendar is read here, once: chunks must not wait for a pool connection of their own while
 * holding one (a small pool, as the command line has, would let them wait for each other for ever).
 */
async function receiptDatesOn(db: Db, appliedOn: string): Promise<ReceiptDates> {
  const calculator = new ReceiptDateCalculator(db);
  await calculator.datesFor(appliedOn, 0);
  const byAge = new Map<number, Promise<{ expectedReadyDate: string; deadline: string }>>();
  return (age) => {
    let dates = byAge.get(age);
    if (!dates) {
      dates = calculator.datesFor(appliedOn, age);
      byAge.set(age, dates);
    }
    return dates;
  };
}

function uploaderContext(batch: repo.BatchRecord): RequestContext {
  const requestId = `batch:${batch.id}`;
  if (!batch.uploadedBy) return systemContext(requestId);
  return {
    actor: {
      kind: 'operator',
      id: batch.uploadedBy,
      name: '',
      role: 'collector',
      centre: null,
      team: batch.teamId,
    },
    requestId,
  };
}

/** Moves a queued batch to processing with its row count. */
async function start(db: Db, batch: repo.BatchRecord, total: number, at: Date): Promise<void> {
  await inTransaction(db, async (trx) => {
    const status = await repo.lockBatchStatus(trx, batch.dbId);
    if (status === undefined) throw new UnrecoverableError(`batch ${batch.id} does not exist`);
    if (status !== 'queued') return;
    await repo.updateBatch(trx, batch.dbId, { status: 'processing', totalRows: total, startedAt: at }, at);
    await recordAudit(
      trx,
      systemContext(`batch:${batch.id}`),
      {
        action: 'batch.started',
        entityType: 'batch',
        entityId: batch.id,
        before: { status: 'queued' },
        after: { status: 'processing', total },
      },
      at,
    );
  });
}

async function finish(db: Db, batch: repo.BatchRecord, at: Date): Promise<void> {
  await inTransaction(db, async (trx) => {
    if ((await repo.lockBatchStatus(trx, batch.dbId)) !== 'processing') return;
    const progress = (await repo.progressOf(trx, batch.dbId))!;
    await repo.updateBatch(trx, batch.dbId, { status: 'completed', finishedAt: at }, at);
    await recordAudit(
      trx,
      systemContext(`batch:${batch.id}`),
      {
        action: 'batch.completed',
        entityType: 'batch',
        entityId: batch.id,
        before: { status: 'processing' },
        after: {
          status: 'completed',
          accepted: progress.accepted,
          rejected: progress.rejected,
          byReason: progress.byReason,
        },
      },
      at,
    );
  });
}

export async function fail(
  db: Db,
  batch: { dbId: number; id: string },
  failure: string,
  at: Date,
): Promise<void> {
  await inTransaction(db, async (trx) => {
    const status = await repo.lockBatchStatus(trx, batch.dbId);
    if (status === undefined || status === 'completed' || status === 'failed') return;
    const progress = await repo.progressOf(trx, batch.dbId);
    await repo.updateBatch(trx, batch.dbId, { status: 'failed', failure, finishedAt: at }, at);
    await recordAudit(
      trx,
      systemContext(`batch:${batch.id}`),
      {
        action: 'batch.failed',
        entityType: 'batch',
        entityId: batch.id,
        before: { status },
        after: { status: 'failed', failure, done: progress?.doneRows ?? 0 },
      },
      at,
    );
  });
}

function summary(b: repo.BatchRecord): ImportSummary {
  return { status: b.status, accepted: b.accepted, rejected: b.rejected };
}
