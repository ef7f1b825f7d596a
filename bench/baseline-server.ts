/**
 * The floor the product is measured against: a bare Express app on mysql2, with a route that reads one
 * card by primary key and one that locks a card, updates it and inserts a row, in a transaction.
 */
import express from 'express';
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
});

const app = express();
app.use(express.json());

app.get('/read/:cardNo', async (req, res) => {
  const [rows] = await pool.query(
    'SELECT id, card_no, type, status, valid_until FROM cards WHERE card_no = ?',
    [req.params.cardNo],
  );
  res.json((rows as unknown[])[0] ?? null);
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

app.get('/readyz', (_req, res) => {
  res.json({ ok: true });
});

const server = app.listen(Number(process.env.PORT ?? 3102));
process.on('SIGTERM', () => {
  server.close(() => void pool.end().then(() => process.exit(0)));
});
