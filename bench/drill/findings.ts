// Findings, and the queries that count what the database and the queues hold.

import { Redis } from 'ioredis';
import type { Knex } from 'knex';
import type { Db } from '../../src/platform/db';
import { createQueues, QUEUE_NAMES } from '../../src/platform/queue';
import { sleep } from './clock';
import type { System } from './system';

export class Findings {
  lost = 0;
  duplicated = 0;
  readonly problems: string[] = [];
  readonly notes: string[] = [];

  /** Exactly `expected` records: fewer were lost, more were made twice. */
  count(label: string, actual: number, expected: number): void {
    this.between(label, actual, expected, expected);
  }

  /** Between `min` (what was acknowledged) and `max` (plus what may have been written unacknowledged). */
  between(label: string, actual: number, min: number, max: number): void {
    const wanted = min === max ? String(min) : `${min}–${max}`;
    if (actual < min) {
      this.lost += min - actual;
      this.problems.push(`${label}: ${actual}, expected ${wanted} (${min - actual} lost)`);
    } else if (actual > max) {
      this.duplicated += actual - max;
      this.problems.push(`${label}: ${actual}, expected ${wanted} (${actual - max} too many)`);
    }
  }

  /** Each of `values` must be counted once in `counts`. */
  eachOnce(label: string, values: readonly string[], counts: Map<string, number>): void {
    const missing = values.filter((v) => !counts.get(v));
    const twice = values.filter((v) => (counts.get(v) ?? 0) > 1);
    if (missing.length) {
      this.lost += missing.length;
      this.problems.push(
        `${label}: ${missing.length} of ${values.length} missing (${missing.slice(0, 3).join(', ')})`,
      );
    }
    if (twice.length) {
      this.duplicated += twice.reduce((s, v) => s + counts.get(v)! - 1, 0);
      this.problems.push(
        `${label}: ${twice.length} present more than once (${twice.slice(0, 3).join(', ')})`,
      );
    }
  }

  problem(message: string): void {
    this.problems.push(message);
  }

  note(message: string): void {
    this.notes.push(message);
  }
}

export async function scalar(
  db: Db,
  sql: string,
  bindings: readonly Knex.RawBinding[] = [],
): Promise<number> {
  const [rows] = (await db.raw(sql, bindings)) as [Array<{ n: number | string | null }>];
  return Number(rows[0]?.n ?? 0);
}

/** COUNT(*) per value of `column` among `values` (1,000 at a time). */
export async function countsOf(
  db: Db,
  table: string,
  column: string,
  values: readonly string[],
  where: Record<string, string> = {},
): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (let i = 0; i < values.length; i += 1000) {
    const rows = (await db(table)
      .where(where)
      .whereIn(column, values.slice(i, i + 1000))
      .groupBy(column)
      .select({ k: column })
      .count({ n: '*' })) as Array<{ k: string; n: number | string }>;
    for (const r of rows) counts.set(String(r.k), Number(r.n));
  }
  return counts;
}

/** How many residents have one of these identity-number hashes. */
export async function residentsWithHashes(db: Db, hashes: readonly Buffer[]): Promise<number> {
  let found = 0;
  for (let i = 0; i < hashes.length; i += 1000) {
    const [row] = (await db('residents')
      .whereIn('id_number_hash', hashes.slice(i, i + 1000))
      .count({ n: '*' })) as Array<{ n: number | string }>;
    found += Number(row?.n ?? 0);
  }
  return found;
}

/**
 * Nothing stuck: no job active (a job that stays active over ten seconds has lost its worker), no
 * import or production job left waiting, no batch or production run left unfinished in MySQL.
 */
export async function checkNothingStuck(sys: System, f: Findings, label: string): Promise<void> {
  const connection = new Redis(sys.redisUrl, { maxRetriesPerRequest: 3 });
  const queues = createQueues(connection, sys.prefix);
  try {
    for (const name of QUEUE_NAMES) {
      const queue = queues.get(name);
      let active = (await queue.getActive()).map((j) => j.id ?? '');
      for (let i = 0; active.length && i < 10; i++) {
        await sleep(1000);
        const still = new Set((await queue.getActive()).map((j) => j.id ?? ''));
        active = active.filter((id) => still.has(id));
      }
      if (active.length) f.problem(`${label}: ${name} job(s) stuck active: ${active.join(', ')}`);
      if (name === 'collection' || name === 'production') {
        const counts = await queue.getJobCounts('waiting', 'prioritized', 'delayed');
        const left = Object.values(counts).reduce((s, n) => s + n, 0);
        if (left) f.problem(`${label}: ${left} ${name} job(s) left waiting: ${JSON.stringify(counts)}`);
      }
    }
  } finally {
    await queues.close();
    connection.disconnect();
  }
  const batches = (await sys
    .db('collection_batches')
    .whereIn('status', ['queued', 'processing'])
    .select('public_id', 'status', 'updated_at')) as Array<{
    public_id: string;
    status: string;
    updated_at: Date;
  }>;
  for (const b of batches) {
    f.problem(`${label}: batch ${b.public_id} left ${b.status} (last change ${b.updated_at.toISOString()})`);
  }
  const runs = (await sys
    .db('production_runs')
    .whereIn('status', ['queued', 'processing'])
    .select('run_id', 'status', 'produced', 'started_at', 'created_at')) as Array<{
    run_id: string;
    status: string;
    produced: number;
    started_at: Date | null;
    created_at: Date;
  }>;
  for (const r of runs) {
    f.problem(
      `${label}: production run ${r.run_id} (accepted with 202 at ${r.created_at.toISOString()}) left ` +
        `${r.status}, ${r.produced} cards, ${r.started_at ? `started ${r.started_at.toISOString()}` : 'never started'}`,
    );
  }
}
