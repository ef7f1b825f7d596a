/**
 * The main job on the sample data, through the running API and worker: a collection team with an
 * authorisation letter uploads batch-district-1000.csv, the worker imports it, the report is printed,
 * and a production run makes the cards. Run by scripts/up.sh; safe to run again (the same file under
 * the same letter is the same batch, so the report is printed again and nothing is imported twice).
 *
 *   npx tsx scripts/demo.ts http://127.0.0.1:3000
 */
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig, loadDotEnv } from '../src/config';
import { createDb } from '../src/platform/db';
import { createOperator } from '../src/components/operators';
import { call } from '../bench/support';

const SAMPLE = path.join(__dirname, '..', 'test', 'fixtures', 'batches', 'batch-district-1000.csv');
const STATE = path.join(__dirname, '..', 'var', 'demo.json');

interface DemoState {
  admin: string;
  collector: string;
  authorisationNo: string;
}

interface Batch {
  batchId: string;
  status: string;
  failure?: string;
  progress: { done: number; total: number };
  accepted: number;
  rejected: number;
  byReason: Record<string, number>;
}

async function works(base: string, token: string): Promise<boolean> {
  const res = await fetch(`${base}/api/v1/collection-batches?limit=1`, {
    headers: { Authorization: `Bearer ${token}` },
  });
  return res.ok;
}

/** Operators and a letter valid over the sample's collection dates (2 to 27 November 2026) and today. */
async function prepare(base: string): Promise<DemoState> {
  if (fs.existsSync(STATE)) {
    const saved = JSON.parse(fs.readFileSync(STATE, 'utf8')) as DemoState;
    if ((await works(base, saved.collector)) && (await works(base, saved.admin))) return saved;
  }
  const db = createDb(loadConfig().databaseUrl, 2);
  try {
    const admin = (await createOperator(db, { role: 'admin', name: '示例管理员' })).token;
    const team = await call<{ id: string }>(base, admin, 'POST', '/collection-teams', {
      name: '大良示例采集队',
      town: '大良街道',
    });
    const collector = (await createOperator(db, { role: 'collector', team: team.id, name: '何咏诗' })).token;
    const today = new Date().toISOString().slice(0, 10);
    const letter = await call<{ authorisationNo: string; verifyCode: string }>(
      base,
      admin,
      'POST',
      `/collection-teams/${team.id}/authorisations`,
      {
        area: 'ALL',
        validFrom: today < '2026-11-01' ? today : '2026-11-01',
        validUntil: today > '2027-12-31' ? today : '2027-12-31',
      },
    );
    console.log(
      `Authorisation letter ${letter.authorisationNo} (verification code ${letter.verifyCode}) for team ${team.id}`,
    );
    const state = { admin, collector, authorisationNo: letter.authorisationNo };
    fs.mkdirSync(path.dirname(STATE), { recursive: true });
    fs.writeFileSync(STATE, JSON.stringify(state), { mode: 0o600 });
    return state;
  } finally {
    await db.destroy();
  }
}

async function main(): Promise<void> {
  loadDotEnv();
  const base = process.argv[2] ?? 'http://127.0.0.1:3000';
  const state = await prepare(base);

  const form = new FormData();
  form.set('authorisationNo', state.authorisationNo);
  form.set('file', await fs.openAsBlob(SAMPLE), path.basename(SAMPLE));
  const upload = await fetch(`${base}/api/v1/collection-batches`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${state.collector}` },
    body: form,
  });
  const queued = (await upload.json()) as Batch;
  if (upload.status !== 202 && upload.status !== 200)
    throw new Error(`upload failed: ${upload.status} ${JSON.stringify(queued)}`);
  console.log(
    `Uploaded ${path.basename(SAMPLE)}: batch ${queued.batchId} (${upload.status === 202 ? 'queued' : 'uploaded before'})`,
  );

  let batch: Batch;
  let shown = -1;
  for (;;) {
    batch = await call<Batch>(base, state.collector, 'GET', `/collection-batches/${queued.batchId}`);
    if (batch.progress.done !== shown) {
      shown = batch.progress.done;
      console.log(`  ${batch.status}: ${batch.progress.done}/${batch.progress.total ?? '?'} rows`);
    }
    if (batch.status === 'completed' || batch.status === 'failed') break;
    await new Promise((r) => setTimeout(r, 250));
  }
  if (batch.status === 'failed') throw new Error(`the batch failed: ${batch.failure ?? 'no reason given'}`);
  console.log(`\nImport report: ${batch.accepted} accepted, ${batch.rejected} rejected`);
  for (const [code, rows] of Object.entries(batch.byReason).sort())
    console.log(`  ${code.padEnd(22)} ${rows}`);
  const rejections = await call<{ items: Array<{ row: number; recordNo: string; reasons: string[] }> }>(
    base,
    state.collector,
    'GET',
    `/collection-batches/${batch.batchId}/rejections?limit=5`,
  );
  console.log('  first rejected rows:');
  for (const r of rejections.items) console.log(`    row ${r.row} ${r.recordNo} ${r.reasons.join(',')}`);
  const alreadyHeld = batch.byReason.NAMED_CARD_EXISTS ?? 0;
  if (alreadyHeld > 0) {
    // the sample's people were imported into this database before, under another team's letter
    // (another checkout, or a var/demo.json that was removed): they already hold their cards
    const database = new URL(loadConfig().databaseUrl).pathname.slice(1);
    console.log(
      `\nNote: ${alreadyHeld} rows name people who already hold a named card in the database ${database}, from` +
        ` an earlier import.\nThe report of an empty database is 948 accepted, 52 rejected: point DATABASE_URL at` +
        ` a new database (e.g. mysql://root@127.0.0.1:3306/citizen_card_mine) and run bash scripts/up.sh again.`,
    );
  }

  const run = await call<{ runId: string }>(base, state.admin, 'POST', '/production-runs', {});
  let produced: { status: string; produced: number };
  for (;;) {
    produced = await call<{ status: string; produced: number }>(
      base,
      state.admin,
      'GET',
      `/production-runs/${run.runId}`,
    );
    if (produced.status === 'completed' || produced.status === 'failed') break;
    await new Promise((r) => setTimeout(r, 250));
  }
  console.log(
    // the run takes every submitted application in the database: the sample's on a first run, and
    // whatever else was applied for since on a later one
    `\nProduction run ${run.runId}: ${produced.status}, ${produced.produced} ${produced.produced === 1 ? 'card' : 'cards'} produced (ready for pickup at their centres)`,
  );
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
