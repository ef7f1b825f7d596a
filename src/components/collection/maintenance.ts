import Joi from 'joi';
import { recordAudit } from '../../platform/audit';
import { systemContext } from '../../platform/context';
import { inTransaction } from '../../platform/db';
import type { JobDefinition, JobDeps } from '../../platform/queue';
import { fail, importBatch } from './import/job';
import * as repo from './repository';
import { BatchFiles, removeFile } from './storage';

/** A batch whose import job keeps dying without failing (a worker killed again and again) stops here. */
const MAX_RECOVERIES = 3;
const DAY_MS = 24 * 3600 * 1000;
/** Files of uploads that never became a batch are kept this long, in case the upload is still going. */
const LEFTOVER_GRACE_MS = DAY_MS;

/** A batch that moved this recently is left alone: its upload or its import may still be under way. */
const IDLE_BEFORE_RECOVERY_MS = 60 * 1000;

/**
 * Makes sure every unfinished batch has a live import job: a batch whose enqueue failed (Redis was
 * down at upload) is enqueued now, and one whose job BullMQ gave up on after repeated stalls is retried
 * from its checkpoint. Jobs that exist are left alone; the job id makes enqueueing twice harmless.
 */
export async function recoverUnfinishedBatches(
  deps: Pick<JobDeps, 'db' | 'queues' | 'clock' | 'logger'>,
  idleMs = IDLE_BEFORE_RECOVERY_MS,
) {
  const queue = deps.queues.get(importBatch.queue);
  const now = deps.clock.now().getTime();
  let enqueued = 0;
  let retried = 0;
  for (const batch of await repo.unfinishedBatches(deps.db)) {
    if (now - batch.lastActivity.getTime() < idleMs) continue;
    const options = importBatch.options({ batchId: batch.id });
    const job = await queue.getJob(options.jobId!);
    if (!job) {
      await deps.queues.enqueue(importBatch, { batchId: batch.id });
      enqueued += 1;
      continue;
    }
    if (!(await job.isFailed())) continue;
    if (batch.recoveries >= MAX_RECOVERIES) {
      await fail(deps.db, batch, '导入多次中断，请稍后重新上传或联系管理员', deps.clock.now());
      continue;
    }
    await repo.updateBatch(deps.db, batch.dbId, { recoveries: batch.recoveries + 1 }, deps.clock.now());
    await job.retry('failed');
    retried += 1;
  }
  if (enqueued || retried) deps.logger.info({ enqueued, retried }, 'collection batches recovered');
  return { enqueued, retried };
}

/**
 * Deletes uploaded files UPLOAD_RETENTION_DAYS after their batch finished (the report stays), and
 * files of uploads that never became a batch.
 */
export async function purgeBatchFiles(deps: Pick<JobDeps, 'db' | 'config' | 'vault' | 'clock' | 'logger'>) {
  const files = new BatchFiles(deps.config.uploadDir, deps.vault);
  const now = deps.clock.now();
  const before = new Date(now.getTime() - deps.config.uploadRetentionDays * DAY_MS);
  let deleted = 0;
  for (;;) {
    const due = await repo.batchesWithFilesDue(deps.db, before, 200);
    for (const batch of due) {
      await files.remove(batch.id);
      await inTransaction(deps.db, async (trx) => {
        await repo.updateBatch(trx, batch.dbId, { fileDeletedAt: now }, now);
        await recordAudit(
          trx,
          systemContext('retention'),
          {
            action: 'batch.file_deleted',
            entityType: 'batch',
            entityId: batch.id,
            after: { fileDeleted: true },
          },
          now,
        );
      });
      deleted += 1;
    }
    if (due.length < 200) break;
  }
  const leftovers = await files.leftovers(new Date(now.getTime() - LEFTOVER_GRACE_MS), (ids) =>
    repo.existingBatchIds(deps.db, ids),
  );
  for (const file of leftovers) await removeFile(file);
  if (deleted || leftovers.length)
    deps.logger.info({ deleted, leftovers: leftovers.length }, 'batch files purged');
  return { deleted, leftovers: leftovers.length };
}

const noPayload = Joi.object<Record<string, never>>({});

export const recoverBatches: JobDefinition<Record<string, never>> = {
  name: 'recover-collection-batches',
  queue: 'maintenance',
  payload: noPayload,
  options: () => ({ removeOnComplete: 100, removeOnFail: 100 }),
  schedule: { every: 60 * 1000 },
  handle: (_p, deps) => recoverUnfinishedBatches(deps),
};

export const purgeUploads: JobDefinition<Record<string, never>> = {
  name: 'purge-collection-uploads',
  queue: 'maintenance',
  payload: noPayload,
  options: () => ({ removeOnComplete: 100, removeOnFail: 100 }),
  schedule: { every: 3600 * 1000 },
  handle: (_p, deps) => purgeBatchFiles(deps),
};
