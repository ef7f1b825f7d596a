import { randomUUID } from 'node:crypto';
import { recordAudit } from '../../platform/audit';
import type { RequestContext } from '../../platform/context';
import type { Clock } from '../../platform/dates';
import { inTransaction, type Db } from '../../platform/db';
import { CommonErrors, defineErrors, raise } from '../../platform/errors';
import type { Queues } from '../../platform/queue';
import { openCentre } from '../reference';
import { produceCards } from './job';
import * as repo from './repository';

export const ProductionErrors = defineErrors({
  PRODUCTION_RUN_NOT_FOUND: { kind: 'not_found', title: '未找到该制卡批次' },
});

export interface RunView {
  runId: string;
  status: string;
  centre?: string;
  produced: number;
  failure?: string;
}

const view = (r: repo.ProductionRun): RunView => ({
  runId: r.runId,
  status: r.status,
  ...(r.centre ? { centre: r.centre } : {}),
  produced: r.produced,
  ...(r.failure ? { failure: r.failure } : {}),
});

export class ProductionService {
  constructor(
    private readonly db: Db,
    private readonly queues: Queues,
    private readonly clock: Clock,
  ) {}

  /** Records the run, then queues it; a run whose job could not be queued is marked failed, not left hanging. */
  async start(
    input: { centre?: string; limit?: number },
    ctx: RequestContext,
  ): Promise<{ runId: string; status: 'queued' }> {
    const runId = randomUUID();
    const at = this.clock.now();
    await inTransaction(this.db, async (trx) => {
      const centre = input.centre ? (await openCentre(trx, input.centre)).code : null;
      await repo.insertRun(trx, {
        runId,
        centre,
        maxCards: input.limit ?? null,
        requestedBy: ctx.actor.id,
        at,
      });
      await recordAudit(
        trx,
        ctx,
        {
          action: 'production_run.requested',
          entityType: 'production_run',
          entityId: runId,
          after: { centre, limit: input.limit ?? null },
        },
        at,
      );
    });
    try {
      await this.queues.enqueue(produceCards, { runId });
    } catch {
      const run = await repo.findRun(this.db, runId);
      if (run)
        await repo.updateRun(this.db, run.dbId, {
          status: 'failed',
          failure: 'queue unavailable',
          finishedAt: this.clock.now(),
        });
      raise(CommonErrors.SERVICE_UNAVAILABLE, '任务队列暂时不可用，请稍后重试');
    }
    return { runId, status: 'queued' };
  }

  async get(runId: string): Promise<RunView> {
    const run = await repo.findRun(this.db, runId);
    if (!run) raise(ProductionErrors.PRODUCTION_RUN_NOT_FOUND);
    return view(run);
  }
}
