import { randomUUID } from 'node:crypto';
import type { Request } from 'express';
import { recordAudit } from '../../platform/audit';
import { asOperator, type OperatorActor, type RequestContext } from '../../platform/context';
import { localDate, type Clock } from '../../platform/dates';
import { inTransaction, isDuplicateKey, type Db } from '../../platform/db';
import { CommonErrors, raise, type FieldError } from '../../platform/errors';
import { appError } from '../../platform/http';
import { decodeCursor, encodeCursor, type Page } from '../../platform/pagination';
import type { Queues } from '../../platform/queue';
import { FIELD_MESSAGES, validationFailed } from '../../platform/validation';
import { letterStatus } from './authorisations';
import { CollectionErrors } from './errors';
import { importBatch } from './import/job';
import { BatchFileError } from './parsing/errors';
import { readBatchRows } from './parsing/reader';
import * as repo from './repository';
import type { BatchRecord, BatchStatus, RejectionRecord } from './repository';
import { removeFile, type BatchFiles } from './storage';
import { receiveUpload, type ReceivedFile } from './upload';

export interface BatchView {
  batchId: string;
  status: BatchStatus;
  failure?: string;
  progress: { done: number; total: number | null };
  accepted: number;
  rejected: number;
  byReason: Record<string, number>;
  authorisationNo: string;
  fileName: string;
  uploadedAt: string;
  finishedAt?: string;
}

export function batchView(b: BatchRecord): BatchView {
  return {
    batchId: b.id,
    status: b.status,
    ...(b.failure ? { failure: b.failure } : {}),
    progress: { done: b.doneRows, total: b.totalRows },
    accepted: b.accepted,
    rejected: b.rejected,
    byReason: b.byReason,
    authorisationNo: b.authorisationNo,
    fileName: b.fileName,
    uploadedAt: b.createdAt.toISOString(),
    ...(b.finishedAt ? { finishedAt: b.finishedAt.toISOString() } : {}),
  };
}

export type UploadOutcome =
  | { created: true; retried?: true; batch: { batchId: string; status: 'queued' } }
  | { created: false; batch: BatchView };

/** Who uploads a batch: a collector of the letter's team, or an operator's command line (no actor). */
export type Uploader = OperatorActor | null;

/** Where batches are kept: the database rows and the encrypted files. */
export interface BatchStore {
  db: Db;
  files: BatchFiles;
  clock: Clock;
}

/**
 * Turns a received file into a batch: the letter must be the uploader's team's and valid today, the
 * file must be a batch file with the required columns. The same file under the same letter is the
 * batch that already exists; the unique key decides, so simultaneous uploads make one batch.
 */
export async function registerBatch(
  { db, files, clock }: BatchStore,
  file: ReceivedFile,
  authorisationNo: string,
  uploader: Uploader,
  ctx: RequestContext,
): Promise<UploadOutcome> {
  const at = clock.now();
  const letter = await repo.findAuthorisation(db, { authorisationNo });
  if (!letter) raise(CollectionErrors.AUTHORISATION_INVALID, '授权书不存在');
  if (uploader && letter.teamId !== uploader.team)
    raise(CollectionErrors.AUTHORISATION_INVALID, '授权书不属于本队伍');
  const status = letterStatus(letter, localDate(at));
  if (status !== 'active') {
    const why = { revoked: '授权书已撤销', expired: '授权书已过期', not_yet_valid: '授权书尚未生效' }[status];
    raise(CollectionErrors.AUTHORISATION_INVALID, why);
  }
  await checkHead(files, file);

  const batchId = randomUUID();
  await files.adopt(file.tempPath, batchId);
  try {
    await inTransaction(db, async (trx) => {
      await repo.insertBatch(trx, {
        id: batchId,
        authorisationDbId: letter.dbId,
        teamDbId: letter.teamDbId,
        uploadedBy: uploader?.id ?? null,
        contentHash: file.contentHash,
        fileName: file.fileName,
        fileSize: file.size,
        fileKeySealed: files.sealKey(file.key),
        at,
      });
      await recordAudit(
        trx,
        ctx,
        {
          action: 'batch.uploaded',
          entityType: 'batch',
          entityId: batchId,
          after: { status: 'queued', authorisationNo, fileSize: file.size },
        },
        at,
      );
    });
  } catch (err) {
    if (!isDuplicateKey(err, 'collection_batches_same_file')) {
      await files.remove(batchId);
      throw err;
    }
    const existing = (await repo.findBatch(db, {
      authorisationDbId: letter.dbId,
      contentHash: file.contentHash,
    }))!;
    if (
      existing.status === 'failed' &&
      (await takeUpFailed({ db, files, clock }, existing, batchId, file, ctx))
    ) {
      return { created: true, retried: true, batch: { batchId: existing.id, status: 'queued' } };
    }
    await files.remove(batchId);
    return { created: false, batch: batchView(existing) };
  }
  return { created: true, batch: { batchId, status: 'queued' } };
}

/**
 * The same file uploaded again under the letter of a batch that failed (its file was lost, the import
 * gave up after repeated faults) starts that batch again rather than answering with the failure for
 * ever: the new copy becomes its file and it is queued from its checkpoint, so rows it had imported
 * are not imported twice. Returns false when another upload took it up first.
 */
async function takeUpFailed(
  { db, files, clock }: BatchStore,
  failed: BatchRecord,
  uploadedAs: string,
  file: ReceivedFile,
  ctx: RequestContext,
): Promise<boolean> {
  const at = clock.now();
  return inTransaction(db, async (trx) => {
    if ((await repo.lockBatchStatus(trx, failed.dbId)) !== 'failed') return false;
    // under the row lock: no other upload replaces the file between this and the commit of its key
    await files.move(uploadedAs, failed.id);
    await repo.requeueBatch(
      trx,
      failed.dbId,
      { fileName: file.fileName, fileSize: file.size, fileKeySealed: files.sealKey(file.key) },
      at,
    );
    await recordAudit(
      trx,
      ctx,
      {
        action: 'batch.requeued',
        entityType: 'batch',
        entityId: failed.id,
        before: { status: 'failed', failure: failed.failure },
        after: { status: 'queued', fileSize: file.size },
      },
      at,
    );
    return true;
  });
}

/**
 * Reads the file up to its first data row: kind, encoding and header are known from there. A file
 * with a header and no rows is empty for the team (api.md: empty → FILE_UNREADABLE).
 */
async function checkHead(files: BatchFiles, file: ReceivedFile): Promise<void> {
  const rows = readBatchRows(() => files.openPath(file.tempPath, file.key));
  try {
    const first = await rows.next();
    if (first.done) throw appError(CollectionErrors.FILE_UNREADABLE, '文件只有表头，没有采集数据');
  } catch (err) {
    if (!(err instanceof BatchFileError)) throw err;
    throw appError(CollectionErrors[err.code], err.message);
  } finally {
    await rows.return(undefined);
  }
}

/** Uploading batches (the import itself is a queue job) and reading their progress and reports. */
export class BatchesService {
  constructor(
    readonly db: Db,
    readonly files: BatchFiles,
    private readonly queues: Queues,
    readonly clock: Clock,
  ) {}

  async upload(req: Request, ctx: RequestContext): Promise<UploadOutcome> {
    const operator = asOperator(ctx);
    const { file, fields } = await receiveUpload(req, this.files);
    try {
      const missing: FieldError[] = [];
      const authorisationNo = (fields.authorisationNo ?? '').trim();
      if (!file) missing.push({ field: 'file', code: 'REQUIRED', message: FIELD_MESSAGES.REQUIRED! });
      if (!authorisationNo) {
        missing.push({ field: 'authorisationNo', code: 'REQUIRED', message: FIELD_MESSAGES.REQUIRED! });
      }
      if (missing.length || !file) throw validationFailed(missing);
      const outcome = await registerBatch(this, file, authorisationNo, operator, ctx);
      if (outcome.created && outcome.retried) await this.dropFinishedJob(outcome.batch.batchId);
      if (outcome.created) await this.enqueue(outcome.batch.batchId);
      return outcome;
    } finally {
      if (file) await removeFile(file.tempPath);
    }
  }

  /**
   * After the commit. When the queue cannot be reached the batch stays `queued` and the recovery job
   * enqueues it later; the caller is told to come back rather than left hanging.
   */
  async enqueue(batchId: string): Promise<void> {
    try {
      await this.queues.enqueue(importBatch, { batchId });
    } catch {
      raise(CommonErrors.SERVICE_UNAVAILABLE, '任务队列暂时不可用：批次已保存，稍后会自动开始导入');
    }
  }

  /**
   * A batch taken up again still has the job of its failed import under its job id, which would make
   * enqueueing it again a no-op. When the queue cannot be reached, the recovery job sees to it later.
   */
  private async dropFinishedJob(batchId: string): Promise<void> {
    const jobId = importBatch.options({ batchId }).jobId!;
    const job = await this.queues
      .get(importBatch.queue)
      .getJob(jobId)
      .catch(() => undefined);
    if (job && ((await job.isFailed()) || (await job.isCompleted()))) await job.remove();
  }

  async get(batchId: string, ctx: RequestContext): Promise<BatchView> {
    return batchView(await this.visible(batchId, ctx));
  }

  async list(
    filter: { status?: BatchStatus; cursor?: string; limit: number },
    ctx: RequestContext,
  ): Promise<Page<BatchView>> {
    const teamDbId = await this.teamScope(ctx);
    const rows = await repo.listBatches(this.db, {
      teamDbId,
      status: filter.status,
      beforeDbId: filter.cursor ? decodeCursor(filter.cursor) : undefined,
      limit: filter.limit + 1,
    });
    const page = rows.slice(0, filter.limit);
    const last = page[page.length - 1];
    return {
      items: page.map(batchView),
      nextCursor: rows.length > filter.limit && last ? encodeCursor(last.dbId) : null,
    };
  }

  async rejections(
    batchId: string,
    page: { cursor?: string; limit: number },
    ctx: RequestContext,
  ): Promise<Page<RejectionRecord>> {
    const batch = await this.visible(batchId, ctx);
    const after = page.cursor ? decodeCursor(page.cursor) : 0;
    const rows = await repo.listRejections(this.db, batch.dbId, after, page.limit + 1);
    const items = rows.slice(0, page.limit);
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > page.limit && last ? encodeCursor(last.row) : null };
  }

  /** Every rejection of a batch, a page at a time, for the downloadable report. */
  async *allRejections(batchId: string, ctx: RequestContext): AsyncGenerator<RejectionRecord> {
    const batch = await this.visible(batchId, ctx);
    for (let after = 0; ;) {
      const rows = await repo.listRejections(this.db, batch.dbId, after, 1000);
      yield* rows;
      const last = rows[rows.length - 1];
      if (!last || rows.length < 1000) return;
      after = last.row;
    }
  }

  /** A collector sees only the batches of their own team; another team's batch does not exist for them. */
  private async visible(batchId: string, ctx: RequestContext): Promise<BatchRecord> {
    const batch = await repo.findBatch(this.db, { id: batchId });
    const actor = asOperator(ctx);
    if (!batch || (actor.role === 'collector' && batch.teamId !== actor.team)) {
      raise(CollectionErrors.BATCH_NOT_FOUND);
    }
    return batch;
  }

  private async teamScope(ctx: RequestContext): Promise<number | undefined> {
    const actor = asOperator(ctx);
    if (actor.role !== 'collector') return undefined;
    const team = actor.team ? await repo.findTeam(this.db, actor.team) : undefined;
    // a collector without a team sees nothing rather than everything
    return team?.dbId ?? -1;
  }
}
