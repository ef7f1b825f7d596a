import { DelayedError, UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { recordJobRun, type JobOutcome } from '../src/platform/job-metrics';
import { HandBack, type JobDeps, type QueueName } from '../src/platform/queue';
import { queuePrefix } from '../src/platform/queue';
import { jobsByQueue } from './registry';

export interface RunningWorkers {
  workers: Worker[];
  /** The workers' own Redis connections (one per queue). */
  connections: Redis[];
  schedulesReady: Promise<void>;
  close(): Promise<void>;
}

const CONCURRENCY: Record<QueueName, number> = { production: 1, collection: 2, cards: 4, maintenance: 1 };

/**
 * Starts one BullMQ worker per queue. A job whose name has no handler, or whose payload does not fit
 * its schema, fails at once without retries: running it again cannot help.
 */
export function startWorkers(
  deps: JobDeps,
  options: { queues?: QueueName[]; redisUrl: string },
): RunningWorkers {
  const registry = jobsByQueue();
  const workers: Worker[] = [];
  const connections: Redis[] = [];
  const shutdown = new AbortController();
  for (const [queue, jobs] of registry) {
    if (options.queues && !options.queues.includes(queue)) continue;
    if (jobs.size === 0) continue;
    const connection = new Redis(options.redisUrl, { maxRetriesPerRequest: null });
    connections.push(connection);
    connection.on('error', (err: Error) =>
      deps.logger.warn({ err: { message: err.message }, queue }, 'worker redis error'),
    );
    const worker = new Worker(
      queue,
      async (job, token) => {
        const def = jobs.get(job.name);
        if (!def) throw new UnrecoverableError(`No handler for job ${job.name} on queue ${queue}`);
        const checked = def.payload.validate(job.data as unknown) as { error?: Error; value: unknown };
        const { error, value } = checked;
        if (error) throw new UnrecoverableError(`Invalid payload for ${job.name}: ${error.message}`);
        const started = performance.now();
        const timed = (outcome: JobOutcome) =>
          recordJobRun(connection, deps.config.queuePrefix, {
            queue,
            job: job.name,
            outcome,
            seconds: (performance.now() - started) / 1000,
          }).catch((err: Error) =>
            deps.logger.warn({ err: { message: err.message }, queue }, 'job duration not recorded'),
          );
        try {
          const result = await def.handle(value, deps, {
            updateProgress: (p) => job.updateProgress(p),
            attemptsMade: job.attemptsMade,
            shutdown: shutdown.signal,
          });
          await timed('completed');
          deps.logger.info(
            { queue, job: job.name, jobId: job.id, ms: Math.round(performance.now() - started) },
            'job completed',
          );
          return result;
        } catch (err) {
          if (err instanceof HandBack) {
            await timed('handed_back');
            // back to the queue at once, without spending one of the job's attempts
            await job.moveToDelayed(Date.now(), token);
            deps.logger.info({ queue, job: job.name, jobId: job.id }, err.message);
            throw new DelayedError();
          }
          await timed('failed');
          throw err;
        }
      },
      {
        connection,
        prefix: queuePrefix(deps.config.queuePrefix),
        concurrency: CONCURRENCY[queue],
        autorun: true,
      },
    );
    worker.on('failed', (job, err) =>
      deps.logger.warn(
        { queue, job: job?.name, jobId: job?.id, err: { message: err.message } },
        'job failed',
      ),
    );
    worker.on('error', (err) => deps.logger.warn({ queue, err: { message: err.message } }, 'worker error'));
    workers.push(worker);
  }
  const schedulesReady = registerSchedules(deps, registry, options.queues);
  // Redis keeps no data across a restart here, and the timers live in Redis: put them back each time
  // the connection comes back, or sweeps and recoveries would stop until the worker restarts
  const reRegister = () => void registerSchedules(deps, registry, options.queues);
  connections[0]?.on('ready', reRegister);
  return {
    workers,
    connections,
    schedulesReady,
    async close() {
      connections[0]?.off('ready', reRegister);
      // long jobs see this and stop at their next safe point; close() then waits only for that
      shutdown.abort();
      await Promise.all(workers.map((w) => w.close()));
      await Promise.all(connections.map((c) => c.quit().catch(() => undefined)));
    },
  };
}

/** Timers live in Redis as job schedulers, so several workers never run one sweep twice over. */
async function registerSchedules(
  deps: JobDeps,
  registry: ReturnType<typeof jobsByQueue>,
  only?: QueueName[],
): Promise<void> {
  for (const [queue, jobs] of registry) {
    if (only && !only.includes(queue)) continue;
    for (const job of jobs.values()) {
      if (!job.schedule) continue;
      await deps.queues
        .get(queue)
        .upsertJobScheduler(
          job.name,
          { every: job.schedule.every },
          { name: job.name, data: {}, opts: job.options({}) },
        )
        .catch((err: Error) =>
          deps.logger.warn({ err: { message: err.message }, job: job.name }, 'schedule not registered'),
        );
    }
  }
}
