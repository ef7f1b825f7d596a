import { Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type Joi from 'joi';
import type { Clock } from './dates';
import type { Db } from './db';
import type { Logger } from './logger';
import type { PiiVault } from './pii';
import type { Config } from '../config';

export const QUEUE_NAMES = ['production', 'collection', 'cards', 'maintenance'] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

/** What a job handler may use. Payloads carry ids only; everything else is fetched from here. */
export interface JobDeps {
  config: Config;
  db: Db;
  vault: PiiVault;
  clock: Clock;
  logger: Logger;
  queues: Queues;
}

export interface JobProgress {
  updateProgress(progress: number | object): Promise<void>;
  attemptsMade: number;
  /** Aborted when the worker is shutting down: a long job stops at a safe point and throws HandBack. */
  shutdown?: AbortSignal;
}

/**
 * Thrown by a job that stopped at a safe point because its worker is shutting down. The worker puts
 * the job back on its queue, untouched by the retry count, for the next worker to resume.
 */
export class HandBack extends Error {
  constructor(what: string) {
    super(`${what} handed back at a safe point: the worker is shutting down`);
    this.name = 'HandBack';
  }
}

export interface JobDefinition<P = unknown> {
  name: string;
  queue: QueueName;
  payload: Joi.ObjectSchema<P>;
  /** Enqueue options: a deterministic jobId collapses duplicates; attempts and backoff for retries. */
  options(payload: P): JobsOptions;
  /** Run on a timer by a BullMQ job scheduler (one per job, whatever the number of workers). */
  schedule?: { every: number };
  handle(payload: P, deps: JobDeps, job: JobProgress): Promise<unknown>;
}

export interface Queues {
  enqueue<P>(def: JobDefinition<P>, payload: P, extra?: JobsOptions): Promise<void>;
  get(name: QueueName): Queue;
  close(): Promise<void>;
}

/**
 * BullMQ keys share one hash tag ({prefix}) so that every queue's keys land in one slot of a Redis
 * Cluster, as BullMQ requires.
 */
export function queuePrefix(prefix: string): string {
  return `{${prefix}}`;
}

export function createQueues(connection: Redis, prefix: string, logger?: Logger): Queues {
  const queues = new Map<QueueName, Queue>();
  const get = (name: QueueName): Queue => {
    let q = queues.get(name);
    if (!q) {
      q = new Queue(name, { connection, prefix: queuePrefix(prefix), skipWaitingForReady: true });
      // without a listener a lost connection is printed raw to stderr; it belongs in the log
      q.on('error', (err: Error) =>
        logger?.warn({ err: { message: err.message }, queue: name }, 'queue connection error'),
      );
      queues.set(name, q);
    }
    return q;
  };
  return {
    get,
    async enqueue(def, payload, extra) {
      const { error, value } = def.payload.validate(payload) as { error?: Error; value: typeof payload };
      if (error) throw new Error(`Invalid payload for job ${def.name}: ${error.message}`);
      await get(def.queue).add(def.name, value, { ...def.options(value), ...extra });
    },
    async close() {
      await Promise.all([...queues.values()].map((q) => q.close()));
    },
  };
}
