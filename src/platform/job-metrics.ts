import type { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import { queuePrefix } from './queue';

/**
 * Job run times, kept in Redis rather than in the worker's memory: workers come and go (and may run on
 * several machines), while Prometheus scrapes the API. Each run adds one to a bucket of a hash under the
 * queue prefix, so every API process reports the same histogram whichever worker ran the job.
 */
export const JOB_DURATION_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 1800] as const;

export type JobOutcome = 'completed' | 'failed' | 'handed_back';

export interface JobRun {
  queue: string;
  job: string;
  outcome: JobOutcome;
  seconds: number;
}

const SEPARATOR = '|';

function durationsKey(prefix: string): string {
  return `${queuePrefix(prefix)}:metrics:job-durations`;
}

export async function recordJobRun(redis: Redis, prefix: string, run: JobRun): Promise<void> {
  const series = [run.queue, run.job, run.outcome].join(SEPARATOR);
  const bucket = JOB_DURATION_BUCKETS.find((le) => run.seconds <= le);
  const key = durationsKey(prefix);
  await redis
    .multi()
    .hincrby(key, `${series}${SEPARATOR}${bucket ?? '+Inf'}`, 1)
    .hincrbyfloat(key, `${series}${SEPARATOR}sum`, run.seconds)
    .hincrby(key, `${series}${SEPARATOR}count`, 1)
    .exec();
}

interface Series {
  labels: { queue: string; job: string; outcome: string };
  perBucket: Map<string, number>;
  sum: number;
  count: number;
}

async function readSeries(redis: Redis, prefix: string): Promise<Series[]> {
  const fields = await redis.hgetall(durationsKey(prefix));
  const byName = new Map<string, Series>();
  for (const [field, raw] of Object.entries(fields)) {
    const [queue = '', job = '', outcome = '', part = ''] = field.split(SEPARATOR);
    const name = [queue, job, outcome].join(SEPARATOR);
    let series = byName.get(name);
    if (!series) {
      series = { labels: { queue, job, outcome }, perBucket: new Map(), sum: 0, count: 0 };
      byName.set(name, series);
    }
    const value = Number(raw);
    if (part === 'sum') series.sum = value;
    else if (part === 'count') series.count = value;
    else series.perBucket.set(part, value);
  }
  return [...byName.values()];
}

/** Registers `job_duration_seconds` (histogram: queue, job, outcome) read from Redis at scrape time. */
export function registerJobDurations(registry: Registry, redis: Redis, prefix: string): void {
  const name = 'job_duration_seconds';
  const metric = {
    name,
    help: 'Job run time by queue, job name and outcome, over all workers',
    type: 'histogram',
    aggregator: 'sum',
    reset() {
      // the figures belong to the whole system, not to this process: nothing to reset here
    },
    async get() {
      const series = await readSeries(redis, prefix).catch(() => []);
      const values: Array<{ metricName: string; labels: Record<string, string>; value: number }> = [];
      for (const s of series) {
        let cumulative = 0;
        for (const le of [...JOB_DURATION_BUCKETS.map(String), '+Inf']) {
          cumulative += s.perBucket.get(le) ?? 0;
          values.push({ metricName: `${name}_bucket`, labels: { ...s.labels, le }, value: cumulative });
        }
        values.push({ metricName: `${name}_sum`, labels: s.labels, value: s.sum });
        values.push({ metricName: `${name}_count`, labels: s.labels, value: s.count });
      }
      return { name, help: metric.help, type: metric.type, aggregator: metric.aggregator, values };
    },
  };
  // prom-client accepts any object with this shape; its types only name its own metric classes
  registry.registerMetric(metric as unknown as Parameters<Registry['registerMetric']>[0]);
}
