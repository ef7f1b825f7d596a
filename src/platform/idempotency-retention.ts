import Joi from 'joi';
import type { Db } from './db';
import type { JobDefinition } from './queue';

/**
 * How long an Idempotency-Key is remembered. A client retries within minutes, a counter that lost its
 * network within the day; a week covers both with room to spare. After that the same key is new again.
 */
export const IDEMPOTENCY_RETENTION_DAYS = 7;

const DELETE_CHUNK = 1000;

/** Deletes keys older than the retention, a chunk at a time so no statement holds locks for long. */
export async function purgeIdempotencyKeysBefore(db: Db, cutoff: Date): Promise<number> {
  let purged = 0;
  for (;;) {
    const deleted = await db('idempotency_keys').where('created_at', '<', cutoff).limit(DELETE_CHUNK).del();
    purged += deleted;
    if (deleted < DELETE_CHUNK) return purged;
  }
}

export const purgeIdempotencyKeys: JobDefinition<Record<string, never>> = {
  name: 'purge-idempotency-keys',
  queue: 'maintenance',
  payload: Joi.object({}),
  schedule: { every: 3600 * 1000 },
  options: () => ({ attempts: 1, removeOnComplete: 100, removeOnFail: 100 }),
  async handle(_payload, deps) {
    const cutoff = new Date(deps.clock.now().getTime() - IDEMPOTENCY_RETENTION_DAYS * 24 * 3600 * 1000);
    return { purged: await purgeIdempotencyKeysBefore(deps.db, cutoff) };
  },
};
