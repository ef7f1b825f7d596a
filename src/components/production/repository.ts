import { findOne, type Conn } from '../../platform/db';

export type RunStatus = 'queued' | 'processing' | 'completed' | 'failed';

export interface ProductionRun {
  dbId: number;
  runId: string;
  status: RunStatus;
  centre: string | null;
  maxCards: number | null;
  produced: number;
  failure: string | null;
}

interface Row {
  id: number | string;
  run_id: string;
  status: RunStatus;
  centre_code: string | null;
  max_cards: number | null;
  produced: number;
  failure: string | null;
}

const fromRow = (r: Row): ProductionRun => ({
  dbId: Number(r.id),
  runId: r.run_id,
  status: r.status,
  centre: r.centre_code,
  maxCards: r.max_cards,
  produced: r.produced,
  failure: r.failure,
});

export async function insertRun(
  conn: Conn,
  run: { runId: string; centre: string | null; maxCards: number | null; requestedBy: string; at: Date },
): Promise<void> {
  await conn('production_runs').insert({
    run_id: run.runId,
    status: 'queued',
    centre_code: run.centre,
    max_cards: run.maxCards,
    produced: 0,
    requested_by: run.requestedBy,
    created_at: run.at,
  });
}

export async function findRun(
  conn: Conn,
  runId: string,
  opts: { forUpdate?: boolean } = {},
): Promise<ProductionRun | undefined> {
  return findOne(conn('production_runs').where('run_id', runId).select(), fromRow, opts);
}

export async function updateRun(
  conn: Conn,
  dbId: number,
  changes: Partial<{
    status: RunStatus;
    startedAt: Date;
    finishedAt: Date;
    failure: string;
    addProduced: number;
  }>,
): Promise<void> {
  const columns: Record<string, unknown> = {};
  if (changes.status) columns.status = changes.status;
  if (changes.startedAt) columns.started_at = changes.startedAt;
  if (changes.finishedAt) columns.finished_at = changes.finishedAt;
  if (changes.failure) columns.failure = changes.failure.slice(0, 200);
  if (changes.addProduced) columns.produced = conn.raw('produced + ?', [changes.addProduced]);
  await conn('production_runs').where('id', dbId).update(columns);
}

/** Runs left queued or processing: a worker that restarts picks them up again. */
export async function unfinishedRuns(conn: Conn): Promise<string[]> {
  const rows = (await conn('production_runs')
    .whereIn('status', ['queued', 'processing'])
    .select('run_id')) as Array<{ run_id: string }>;
  return rows.map((r) => r.run_id);
}
