import express, { type Router } from 'express';
import type { AppDeps } from './deps';
import { Gauge, type Registry } from './platform/metrics';
import { QUEUE_NAMES } from './platform/queue';
import { collectionRepository } from './components/collection';
import { lossReportsRepository } from './components/loss-reports';
import { registerJobDurations } from './platform/job-metrics';

/**
 * `/metrics` of the API process. Business totals are read from MySQL and queue depths from Redis at
 * scrape time, so every API process reports the same figures whichever worker did the work.
 */
export function metricsRouter(
  deps: AppDeps,
  registry: Registry,
  extra: Array<(registry: Registry) => void> = [],
): Router {
  new Gauge({
    name: 'queue_jobs',
    help: 'Jobs per queue and state',
    labelNames: ['queue', 'state'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const name of QUEUE_NAMES) {
        const counts = await deps.queues
          .get(name)
          .getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed')
          .catch(() => ({}) as Record<string, number>);
        for (const [state, n] of Object.entries(counts)) this.set({ queue: name, state }, n);
      }
    },
  });
  new Gauge({
    name: 'loss_reports_total',
    help: 'Loss reports filed, by channel and kind',
    labelNames: ['channel', 'kind'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const r of await lossReportsRepository.countByChannel(deps.db).catch(() => []))
        this.set({ channel: r.channel, kind: r.kind }, r.n);
    },
  });
  new Gauge({
    name: 'collection_rows_total',
    help: 'Collection batch rows imported and rejected, over all batches',
    labelNames: ['outcome'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      const totals = await collectionRepository.rowTotals(deps.db).catch(() => undefined);
      if (!totals) return;
      this.set({ outcome: 'imported' }, totals.imported);
      this.set({ outcome: 'rejected' }, totals.rejected);
    },
  });
  registerJobDurations(registry, deps.redis, deps.config.queuePrefix);
  for (const add of extra) add(registry);
  const router = express.Router();
  router.get('/metrics', async (_req, res) => {
    res.type(registry.contentType).send(await registry.metrics());
  });
  return router;
}
