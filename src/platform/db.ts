import knex, { type Knex } from 'knex';
import { createConnection } from 'mysql2';
import { requestScope, type CommitMark } from './request-context';

export type Db = Knex;
export type Trx = Knex.Transaction;
/** Either the pool or an open transaction: repositories take whichever the service hands them. */
export type Conn = Knex | Knex.Transaction;

interface RawConnection {
  query(sql: string, cb: (err: Error | null) => void): void;
}

/**
 * How long an API request waits for a row another transaction holds, in seconds (MariaDB's default is
 * 50). A request waiting on a held row keeps its pooled connection: thirty counters retrying one card
 * whose row a stuck session holds would otherwise take the whole pool from everyone else's cards for
 * the better part of a minute. After this long the request answers CONCURRENT_UPDATE (try again).
 */
export const API_LOCK_WAIT_SECONDS = 5;

function connectionSettings(url: URL) {
  return {
    host: url.hostname,
    port: Number(url.port || 3306),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    database: url.pathname.replace(/^\//, ''),
    charset: 'utf8mb4',
  };
}

/** `lockWaitSeconds`: see API_LOCK_WAIT_SECONDS; the server's own default when not given. */
export function createDb(databaseUrl: string, poolMax: number, lockWaitSeconds?: number): Db {
  const url = new URL(databaseUrl);
  const sessionSettings = [
    "SET time_zone = '+00:00'",
    // READ COMMITTED: rules are enforced by explicit row locks and unique keys, not by gap locks,
    // which under REPEATABLE READ turn concurrent inserts into deadlocks
    'SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED',
    ...(lockWaitSeconds === undefined
      ? []
      : [`SET SESSION innodb_lock_wait_timeout = ${Math.max(1, Math.floor(lockWaitSeconds))}`]),
  ];
  return knex({
    client: 'mysql2',
    connection: {
      ...connectionSettings(url),
      // every DATETIME is UTC; DATEs come back as the strings they are, so no time zone can move a birthday
      timezone: 'Z',
      // knex's typings only know the boolean form; mysql2 accepts a list of column types
      dateStrings: ['DATE'] as unknown as boolean,
      supportBigNumbers: true,
      bigNumberStrings: true,
      connectTimeout: 5000,
      // lets inOneRoundTrip send a transaction's statements together; every value still travels as a
      // binding escaped by the driver, never spliced into SQL text, so this opens no door to injection
      multipleStatements: true,
    },
    pool: {
      min: 0,
      max: poolMax,
      afterCreate(conn: RawConnection, done: (err: Error | null, c: RawConnection) => void) {
        const next = (i: number) => {
          if (i === sessionSettings.length) return done(null, conn);
          conn.query(sessionSettings[i]!, (err) => (err ? done(err, conn) : next(i + 1)));
        };
        next(0);
      },
    },
    acquireConnectionTimeout: 10000,
  });
}

/** MySQL/MariaDB error numbers the services translate into domain errors or retries. */
export const MYSQL = {
  DUPLICATE_KEY: 1062,
  DEADLOCK: 1213,
  LOCK_WAIT_TIMEOUT: 1205,
  FOREIGN_KEY_PARENT_MISSING: 1452,
  FOREIGN_KEY_CHILD_EXISTS: 1451,
} as const;

export function mysqlErrno(err: unknown): number | undefined {
  return typeof err === 'object' && err !== null && 'errno' in err && typeof err.errno === 'number'
    ? err.errno
    : undefined;
}

export function isDuplicateKey(err: unknown, indexName?: string): boolean {
  if (mysqlErrno(err) !== MYSQL.DUPLICATE_KEY) return false;
  return indexName === undefined || String((err as Error).message).includes(indexName);
}

export function isRetryableTransactionError(err: unknown): boolean {
  const errno = mysqlErrno(err);
  return errno === MYSQL.DEADLOCK || errno === MYSQL.LOCK_WAIT_TIMEOUT;
}

/**
 * A transaction is run again at once only when it was a deadlock's victim: the other side has gone
 * ahead. After a lock wait timeout the row is still held, and waiting again would hold the pooled
 * connection as long once more.
 */
function isDeadlock(err: unknown): boolean {
  return mysqlErrno(err) === MYSQL.DEADLOCK;
}

/**
 * Whether the database answers, on a connection of its own: a pool whose connections are all busy is
 * not a database that is away, and a readiness check that waited for one would say it was.
 */
export async function probeDatabase(databaseUrl: string, timeoutMs: number): Promise<void> {
  const connection = createConnection({
    ...connectionSettings(new URL(databaseUrl)),
    connectTimeout: timeoutMs,
  });
  try {
    await connection.promise().query('SELECT 1');
  } finally {
    connection.destroy();
  }
}

/**
 * Runs `work` in a transaction and runs it again when the database chose it as a deadlock victim:
 * the whole transaction was rolled back, so trying again is safe.
 */
export async function inTransaction<T>(db: Db, work: (trx: Trx) => Promise<T>, attempts = 4): Promise<T> {
  const hook = requestScope.getStore()?.commitHook;
  for (let attempt = 1; ; attempt++) {
    let open: Trx | undefined;
    try {
      const result = await db.transaction(async (trx) => {
        open = trx;
        const value = await work(trx);
        const mark = hook?.markIn(trx, trx);
        if (mark) mark.check((await inOneRoundTrip(trx, [mark.statement]))[0]);
        return value;
      });
      if (hook && open) hook.committed(open);
      return result;
    } catch (err) {
      if (hook && open) hook.rolledBack(open);
      if (attempt >= attempts || !isDeadlock(err)) throw err;
      await retryPause(attempt);
    }
  }
}

const retryPause = (attempt: number) => new Promise((r) => setTimeout(r, 10 * attempt + Math.random() * 20));

/**
 * Runs `work` in a savepoint of the caller's transaction (or a transaction of its own on the pool), so
 * a statement that fails there — a clash of random numbers, say — can be retried without losing the
 * rest of the caller's work.
 */
export async function inSavepoint<T>(conn: Conn, work: (trx: Trx) => Promise<T>): Promise<T> {
  return conn.transaction((trx: Trx) => work(trx));
}

/** The first row of a select mapped to a domain object, optionally locked, read at once. */
export async function findOne<R, T>(
  select: Knex.QueryBuilder,
  map: (row: R) => T,
  lock: { forUpdate?: boolean } = {},
): Promise<T | undefined> {
  return runRead(firstRow(select, map, lock));
}

/**
 * A statement built but not yet run. Knex builders run only when awaited, so a repository can hand one
 * back for its caller either to await on its own or to send with others in one round trip.
 */
export type Statement = Knex.QueryBuilder | Knex.Raw;

/** A read whose rows become a domain value once they arrive, so it can travel in a batch too. */
export interface Read<T> {
  statement: Knex.QueryBuilder;
  map(rows: unknown): T;
}

/** Runs a read on its own. */
export async function runRead<T>(read: Read<T>): Promise<T> {
  return read.map(await read.statement);
}

/** The first row of a select, mapped, optionally locked for the caller's transaction. */
export function firstRow<R, T>(
  select: Knex.QueryBuilder,
  map: (row: R) => T,
  lock: { forUpdate?: boolean } = {},
): Read<T | undefined> {
  const query = select.limit(1);
  return {
    statement: lock.forUpdate ? query.forUpdate() : query,
    map: (rows) => {
      const row = (rows as R[])[0];
      return row === undefined ? undefined : map(row);
    },
  };
}

/** Statements compiled by knex into one text, for the driver to send in one round trip. */
function compile(statements: readonly Statement[]): { sql: string; bindings: Knex.SqlNative['bindings'] } {
  const compiled = statements.map((s) => s.toSQL().toNative());
  return { sql: compiled.map((c) => c.sql).join(';\n'), bindings: compiled.flatMap((c) => c.bindings) };
}

/**
 * Sends statements to the database in one round trip and returns each one's result in order: its rows
 * for a read, the OK packet for a write. On a busy counter day most of a transaction's cost is the trip
 * to the database and back, not the work done there. The server runs them in order and stops at the
 * first that fails, whose error is thrown: inside a transaction, the rollback then undoes the rest.
 */
export async function inOneRoundTrip(
  conn: Conn,
  statements: ReadonlyArray<Statement | undefined>,
): Promise<unknown[]> {
  const list = statements.filter((s): s is Statement => s !== undefined);
  if (list.length === 0) return [];
  const { sql, bindings } = compile(list);
  const [results] = (await conn.raw(sql, bindings)) as [unknown];
  // the driver nests results only when there is more than one statement
  return list.length === 1 ? [results] : (results as unknown[]);
}

/** What a two-round-trip transaction decided: its writes, and its value or a read to make after them. */
export type Decision<T> =
  | { writes: ReadonlyArray<Statement | undefined>; value: T }
  | { writes: ReadonlyArray<Statement | undefined>; readBack: Read<T> };

interface PooledConnection {
  query(sql: string, bindings: readonly unknown[], cb: (err: Error | null, results: unknown) => void): void;
}

/** The part of knex's client that lends out pooled connections, which knex's typings leave untyped. */
interface ConnectionLender {
  acquireConnection(): Promise<PooledConnection>;
  releaseConnection(connection: PooledConnection): Promise<unknown>;
}

function send(connection: PooledConnection, sql: string, bindings: readonly unknown[]): Promise<unknown[]> {
  return new Promise((resolve, reject) =>
    connection.query(sql, bindings, (err, results) => (err ? reject(err) : resolve(results as unknown[]))),
  );
}

/**
 * A short transaction in two round trips, for the busiest counter and call-centre operations, which read
 * a few rows (locking them), decide, and write: START TRANSACTION travels with the reads and COMMIT with
 * the writes, where a knex transaction takes four trips and a transaction object of its own.
 *
 * Statements are built on `db` and only compiled, never run by knex: they go, bound and escaped by the
 * driver as every other query is, over one pooled connection held for the two trips. `decide` runs while
 * the rows are locked and must not wait for anything (in particular not for another pooled connection:
 * read what it needs, such as the function catalogue, before). It throws to refuse, and the transaction
 * is rolled back. A deadlock runs the whole transaction again, as inTransaction does.
 */
export async function inTwoRoundTrips<R extends unknown[], T>(
  db: Db,
  reads: () => { [K in keyof R]: Read<R[K]> },
  decide: (values: R) => Decision<T>,
  attempts = 4,
): Promise<T> {
  const hook = requestScope.getStore()?.commitHook;
  const lender = db.client as ConnectionLender;
  for (let attempt = 1; ; attempt++) {
    const tx = {};
    const connection = await lender.acquireConnection();
    try {
      const value = await twoRoundTrips(connection, hook?.markIn(db, tx), reads(), decide);
      hook?.committed(tx);
      return value;
    } catch (err) {
      hook?.rolledBack(tx);
      // the server has stopped at the failed statement, so COMMIT never ran; a lost connection has
      // nothing to roll back, and the pool drops it when it is next handed out
      await send(connection, 'ROLLBACK', []).catch(() => undefined);
      if (attempt >= attempts || !isDeadlock(err)) throw err;
      await retryPause(attempt);
    } finally {
      void lender.releaseConnection(connection);
    }
  }
}

async function twoRoundTrips<R extends unknown[], T>(
  connection: PooledConnection,
  // the request's idempotency claim is marked first: its row then stays locked until the commit
  mark: CommitMark | undefined,
  reads: { [K in keyof R]: Read<R[K]> },
  decide: (values: R) => Decision<T>,
): Promise<T> {
  const first = [...(mark ? [mark.statement] : []), ...reads.map((r: Read<unknown>) => r.statement)];
  const { sql, bindings } = compile(first);
  const readResults = first.length
    ? (await send(connection, `START TRANSACTION;\n${sql}`, bindings)).slice(1)
    : (await send(connection, 'START TRANSACTION', []), []);
  if (mark) mark.check(readResults.shift());
  const decision = decide(reads.map((r: Read<unknown>, i) => r.map(readResults[i])) as R);
  const writes = decision.writes.filter((s): s is Statement => s !== undefined);
  const readBack = 'readBack' in decision ? decision.readBack : undefined;
  const second = compile(readBack ? [...writes, readBack.statement] : writes);
  const written = await send(connection, second.sql ? `${second.sql};\nCOMMIT` : 'COMMIT', second.bindings);
  return readBack ? readBack.map(written[writes.length]) : (decision as { value: T }).value;
}
