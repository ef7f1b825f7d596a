// What the workers did with their jobs, from their logs and from Redis.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import { createQueues } from '../../src/platform/queue';
import { LOGS } from './paths';
import type { System } from './system';

/** Which jobs each worker finished, from its log: shows the work was shared out. */
export function jobsDoneBy(label: string): string {
  const done = new Map<string, number>();
  try {
    for (const line of readFileSync(path.join(LOGS, `${label}.log`), 'utf8').split('\n')) {
      if (!line.includes('"job completed"')) continue;
      const entry = JSON.parse(line) as { job?: string };
      if (entry.job) done.set(entry.job, (done.get(entry.job) ?? 0) + 1);
    }
  } catch {
    return 'no log';
  }
  return [...done].map(([job, n]) => `${job} ×${n}`).join(', ') || 'nothing';
}

export async function jobState(sys: System, queue: 'collection' | 'production', jobId: string) {
  const connection = new Redis(sys.redisUrl, { maxRetriesPerRequest: 3 });
  const queues = createQueues(connection, sys.prefix);
  try {
    const job = await queues.get(queue).getJob(jobId);
    return job
      ? { state: await job.getState(), stalledCounter: job.stalledCounter, attemptsMade: job.attemptsMade }
      : undefined;
  } finally {
    await queues.close();
    connection.disconnect();
  }
}
