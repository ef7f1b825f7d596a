/**
 * What the product is measured against, a bare Express app on mysql2:
 *   GET  /read/:cardNo        reads one card by primary key (the baseline of scenario a)
 *   POST /tx/:cardNo          locks a card, updates it and inserts a row, in a transaction (b and c)
 *   GET  /floor/card/:cardNo  the card view written by hand: the product's query, the holder's name
 *                             masked, the functions listed
 *   POST /floor/report/:cardNo and /floor/lift/:cardNo
 *                             a temporary loss report and its lift written by hand: the statements the
 *                             product sends for them, in its two round trips, with the identity check
 *                             and the lapse job, and nothing else. Measured with the same load as (b),
 *                             it tells the cost of the work the rules require from the cost of the code.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import express from 'express';
import { Redis } from 'ioredis';
import mysql from 'mysql2/promise';

const url = new URL(process.env.DATABASE_URL ?? 'mysql://root@127.0.0.1:3306/citizen_card_bench_http');
const pool = mysql.createPool({
  host: url.hostname,
  port: Number(url.port || 3306),
  user: decodeURIComponent(url.username),
  password: decodeURIComponent(url.password),
  database: url.pathname.slice(1),
  connectionLimit: Number(process.env.DB_POOL_MAX ?? 20),
  timezone: 'Z',
  multipleStatements: true,
});
// the product's isolation level: without it, the floor's locking reads of the report's unique key take
// gap locks, and concurrent reports on neighbouring cards deadlock
pool.pool.on('connection', (conn) => {
  conn.query('SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED');
});
const hashKey = Buffer.from(process.env.PII_HASH_KEY ?? '', 'hex');
const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/0', { maxRetriesPerRequest: null });
// the product's lapse queue, so the floor wakes the same worker the product does
const lapses = new Queue('cards', { connection: redis, prefix: `{${process.env.QUEUE_PREFIX ?? 'cc'}}` });
const TTL_MS = 7 * 24 * 3600 * 1000;
const FUNCTIONS = ['medical', 'social_security', 'bicycle', 'library', 'parking'];

const app = express();
app.use(express.json());

app.get('/read/:cardNo', async (req, res) => {
  const [rows] = await pool.query(
    'SELECT id, card_no, type, status, valid_until FROM cards WHERE card_no = ?',
    [req.params.cardNo],
  );
  res.json((rows as unknown[])[0] ?? null);
});

const VIEW_SQL = `SELECT c.card_no, c.type, c.status, c.bank, c.valid_until, r.name, r.id_number_masked,
    prev.card_no AS replaces_no, nxt.id AS replaced_by_id, nxt.card_no AS replaced_by_no, f.code, f.status AS function_status
  FROM cards c LEFT JOIN residents r ON r.id = c.resident_id LEFT JOIN cards prev ON prev.id = c.replaces_card_id
    LEFT JOIN cards nxt ON nxt.replaces_card_id = c.id LEFT JOIN card_functions f ON f.card_id = c.id
  WHERE c.card_no = ?`;

app.get('/floor/card/:cardNo', async (req, res) => {
  const [result] = await pool.query(VIEW_SQL, [req.params.cardNo]);
  const rows = result as Array<Record<string, string | null>>;
  const row = rows[0];
  if (!row) {
    res.status(404).json({ code: 'CARD_NOT_FOUND' });
    return;
  }
  const statuses = new Map(rows.map((r) => [r.code, r.function_status]));
  const replacedBy = rows
    .filter((r) => r.replaced_by_no !== null)
    .sort((x, y) => Number(y.replaced_by_id) - Number(x.replaced_by_id))[0]?.replaced_by_no;
  res.json({
    cardNo: row.card_no,
    type: row.type,
    status: row.status,
    ...(row.name
      ? { holder: { name: `${row.name[0]}*${row.name.slice(-1)}`, idNumber: row.id_number_masked } }
      : {}),
    functions: FUNCTIONS.map((code) => ({ code, status: statuses.get(code) ?? 'inactive' })),
    validUntil: row.valid_until,
    ...(row.replaces_no ? { replaces: row.replaces_no } : {}),
    ...(replacedBy ? { replacedBy } : {}),
  });
});

app.post('/tx/:cardNo', async (req, res) => {
  const conn = await pool.getConnection();
  try {
    await conn.beginTransaction();
    const [rows] = await conn.query('SELECT id, status FROM cards WHERE card_no = ? FOR UPDATE', [
      req.params.cardNo,
    ]);
    const card = (rows as Array<{ id: number; status: string }>)[0];
    if (!card) throw new Error('no card');
    await conn.query('UPDATE cards SET updated_at = NOW(3) WHERE id = ?', [card.id]);
    await conn.query(
      "INSERT INTO audit_events (at, action, entity_type, entity_id, channel) VALUES (NOW(3), 'bench.touch', 'card', ?, 'system')",
      [req.params.cardNo],
    );
    await conn.commit();
    res.status(201).json({ cardNo: req.params.cardNo, status: card.status });
  } catch (err) {
    await conn.rollback();
    res.status(500).json({ error: String(err) });
  } finally {
    conn.release();
  }
});

interface Locked {
  card: { id: number; status: string; resident_id: number };
  holder: { id_number_hash: Buffer; name: string };
  report: { id: number; report_id: string } | undefined;
}

/** START TRANSACTION with the card, its holder and its open report, as the product reads them. */
async function lockCard(conn: mysql.PoolConnection, cardNo: string): Promise<Locked> {
  const [results] = await conn.query(
    `START TRANSACTION;
     SELECT id, status, resident_id FROM cards WHERE card_no = ? LIMIT 1 FOR UPDATE;
     SELECT id_number_hash, name FROM residents WHERE id = (SELECT resident_id FROM cards WHERE card_no = ?);
     SELECT id, report_id FROM loss_reports
       WHERE open_temporary_card_id = (SELECT id FROM cards WHERE card_no = ?) LIMIT 1 FOR UPDATE`,
    [cardNo, cardNo, cardNo],
  );
  const [, cards, holders, reports] = results as unknown as [unknown, never[], never[], never[]];
  return { card: cards[0]!, holder: holders[0]!, report: reports[0] };
}

function holderMatches(holder: Locked['holder'], body: { idNumber: string; name?: string }): boolean {
  const given = createHmac('sha256', hashKey).update(body.idNumber, 'utf8').digest();
  return given.equals(holder.id_number_hash) && (body.name === undefined || body.name === holder.name);
}

app.post('/floor/report/:cardNo', async (req, res) => {
  const cardNo = req.params.cardNo;
  const body = req.body as { idNumber: string; name: string };
  const conn = await pool.getConnection();
  try {
    const { card, holder } = await lockCard(conn, cardNo);
    if (card.status !== 'active' || !holderMatches(holder, body)) throw new Error('refused');
    const reportId = randomUUID();
    const now = new Date();
    const expiresAt = new Date(now.getTime() + TTL_MS);
    await conn.query(
      `INSERT INTO loss_reports (report_id, card_id, kind, status, channel, reported_by, reported_at, expires_at)
         VALUES (?, ?, 'temporary', 'open', 'call_centre', 'floor', ?, ?);
       UPDATE cards SET status = 'temp_lost', updated_at = ? WHERE id = ?;
       INSERT INTO card_functions (card_id, code, status, resume_status, updated_at)
         VALUES ${FUNCTIONS.map(() => "(?, ?, 'suspended', 'inactive', ?)").join(', ')}
         ON DUPLICATE KEY UPDATE resume_status = IF(status = 'active', 'active', 'inactive'),
           status = 'suspended', updated_at = VALUES(updated_at);
       INSERT INTO audit_events (at, action, entity_type, entity_id, actor_role, channel, before_json, after_json)
         VALUES (?, 'card.reported_temporary', 'card', ?, 'call_center', 'call_centre', ?, ?);
       INSERT INTO hotlist (at, card_id, card_no, reason, usable) VALUES (?, ?, ?, 'temp_lost', false);
       COMMIT`,
      [
        reportId,
        card.id,
        now,
        expiresAt,
        now,
        card.id,
        ...FUNCTIONS.flatMap((code) => [card.id, code, now]),
        now,
        cardNo,
        JSON.stringify({ status: 'active' }),
        JSON.stringify({ status: 'temp_lost', reportId, expiresAt }),
        now,
        card.id,
        cardNo,
      ],
    );
    await lapses.add(
      'lapse-temporary-report',
      { reportId },
      { jobId: `lapse-${reportId}`, delay: TTL_MS, removeOnComplete: 1000, removeOnFail: 5000 },
    );
    res.status(201).json({ reportId, kind: 'temporary', expiresAt, card: { cardNo, status: 'temp_lost' } });
  } catch (err) {
    await conn.query('ROLLBACK');
    res.status(409).json({ code: err instanceof Error ? err.message.slice(0, 60) : String(err) });
  } finally {
    conn.release();
  }
});

app.post('/floor/lift/:cardNo', async (req, res) => {
  const cardNo = req.params.cardNo;
  const body = req.body as { idNumber: string };
  const conn = await pool.getConnection();
  try {
    const { card, holder, report } = await lockCard(conn, cardNo);
    if (card.status !== 'temp_lost' || !report || !holderMatches(holder, body)) throw new Error('refused');
    const now = new Date();
    const [results] = await conn.query(
      `UPDATE loss_reports SET status = 'lifted', closed_by = 'floor', closed_at = ? WHERE id = ?;
       UPDATE cards SET status = 'active', updated_at = ? WHERE id = ?;
       UPDATE card_functions SET status = COALESCE(resume_status, 'inactive'), resume_status = NULL, updated_at = ?
         WHERE card_id = ? AND status = 'suspended';
       INSERT INTO audit_events (at, action, entity_type, entity_id, actor_role, channel, before_json, after_json)
         VALUES (?, 'card.loss_lifted', 'card', ?, 'counter', 'counter', ?, ?);
       INSERT INTO hotlist (at, card_id, card_no, reason, usable) VALUES (?, ?, ?, 'lifted', true);
       SELECT c.card_no, c.type, c.status, c.valid_until, r.name, r.id_number_masked,
         (SELECT GROUP_CONCAT(CONCAT(f.code, ':', f.status)) FROM card_functions f WHERE f.card_id = c.id) AS functions
         FROM cards c LEFT JOIN residents r ON r.id = c.resident_id WHERE c.id = ?;
       COMMIT`,
      [
        now,
        report.id,
        now,
        card.id,
        now,
        card.id,
        now,
        cardNo,
        JSON.stringify({ status: 'temp_lost' }),
        JSON.stringify({ status: 'active', reportId: report.report_id }),
        now,
        card.id,
        cardNo,
        card.id,
      ],
    );
    res.json((results as unknown as unknown[][])[5]![0]);
  } catch (err) {
    await conn.query('ROLLBACK');
    res.status(409).json({ code: err instanceof Error ? err.message.slice(0, 60) : String(err) });
  } finally {
    conn.release();
  }
});

app.get('/readyz', (_req, res) => {
  res.json({ ok: true });
});

const server = app.listen(Number(process.env.PORT ?? 3102));
process.on('SIGTERM', () => {
  server.close(
    () =>
      void Promise.all([pool.end(), lapses.close()])
        .then(() => redis.quit())
        .then(() => process.exit(0)),
  );
});
