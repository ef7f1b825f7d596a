// Production runs.

import { must, type Counters } from './client';
import { sleep } from './clock';
import { scalar, type Findings } from './findings';
import type { System } from './system';

interface RunView {
  runId: string;
  status: string;
  produced: number;
}

export async function settleRuns(
  c: Counters,
  bases: readonly string[],
  admin: string,
  ids: readonly string[],
  deadline: number,
): Promise<Map<string, RunView>> {
  const last = new Map<string, RunView>();
  const finished = (id: string) => ['completed', 'failed'].includes(last.get(id)?.status ?? '');
  for (;;) {
    for (const id of ids) {
      if (!finished(id))
        last.set(
          id,
          await must<RunView>(c, bases, { method: 'GET', url: `/production-runs/${id}`, token: admin }),
        );
    }
    if (ids.every(finished) || Date.now() > deadline) return last;
    await sleep(500);
  }
}

/** Every card made once: runs' counts, cards, ready applications and audit events agree. */
export async function checkProduction(
  sys: System,
  f: Findings,
  label: string,
  runs: Map<string, RunView>,
): Promise<void> {
  const db = sys.db;
  const cards = await scalar(
    db,
    "SELECT COUNT(*) AS n FROM cards WHERE application_id IS NOT NULL AND status = 'produced'",
  );
  const produced = [...runs.values()].reduce((s, r) => s + r.produced, 0);
  const inRuns = await scalar(
    db,
    `SELECT COALESCE(SUM(produced), 0) AS n FROM production_runs WHERE run_id IN (${[...runs.keys()].map(() => '?').join(',')})`,
    [...runs.keys()],
  );
  f.count(`${label}: cards the runs say they made`, produced, inRuns);
  f.count(`${label}: produced cards against the runs' counts`, cards, inRuns);
  f.count(
    `${label}: ready applications against produced cards`,
    await scalar(db, "SELECT COUNT(*) AS n FROM applications WHERE status = 'ready'"),
    cards,
  );
  f.count(
    `${label}: audit card.produced`,
    await scalar(
      db,
      "SELECT COUNT(*) AS n FROM audit_events WHERE action = 'card.produced' AND request_id LIKE 'production-run:%'",
    ),
    cards,
  );
  f.count(
    `${label}: audit application.ready`,
    await scalar(db, "SELECT COUNT(*) AS n FROM audit_events WHERE action = 'application.ready'"),
    cards,
  );
  f.count(
    `${label}: applications with more than one card`,
    await scalar(
      db,
      'SELECT COUNT(*) AS n FROM (SELECT application_id FROM cards WHERE application_id IS NOT NULL GROUP BY application_id HAVING COUNT(*) > 1) t',
    ),
    0,
  );
}
