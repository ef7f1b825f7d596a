import knex, { type Knex } from 'knex';
import { requestScope } from './request-context';

export type Db = Knex;
export type Trx = Knex.Transaction;
/** Either the pool or an open transaction: repositories take whichever the service hands them. */
export type Conn = Knex | Knex.Transaction;

interface RawConnection {
  query(sql: string, cb: (err: Error | null) => void): void;
}

export function createDb(databaseUrl: string, poolMax: number): Db {
  const url = new URL(databaseUrl);
  return knex({
    client: 'mysql2',
    connection: {
      host: url.hostname,
      port: Number(url.port || 3306),
      user: decodeURIComponent(url.username),
      password: decodeURIComponent(url.password),
      database: url.pathname.replace(/^\//, ''),
      charset: 'utf8mb4',
      // every DATETIME is UTC; DATEs come back as the strings they are, so no time zone can move a birthday
      timezone: 'Z',
      // knex's typings only know the boolean form; mysql2 accepts a list of column types
      dateStrings: ['DATE'] as unknown as boolean,
      supportBigNumbers: true,
      bigNumberStrings: true,
      connectTimeout: 5000,
    },
    pool: {
      min: 0,
      max: poolMax,
      afterCreate(conn: RawConnection, done: (err: Error | null, c: RawConnection) => void) {
        conn.query("SET time_zone = '+00:00'", (zoneErr) => {
          if (zoneErr) return done(zoneErr, conn);
          // READ COMMITTED: rules are enforced by explicit row locks and unique keys, not by gap locks,
          // which under REPEATABLE READ turn concurrent inserts into deadlocks
          conn.query('SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED', (isoErr) =>
            done(isoErr, conn),
          );
        });
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
        await hook?.beforeCommit(trx);
        return value;
      });
      if (hook && open) hook.committed(open);
      return result;
    } catch (err) {
      if (hook && open) hook.rolledBack(open);
      if (attempt >= attempts || !isRetryableTransactionError(err)) throw err;
      await new Promise((r) => setTimeout(r, 10 * attempt + Math.random() * 20));
    }
  }
}

/**
 * Runs `work` in a savepoint of the caller's transaction (or a transaction of its own on the pool), so
 * a statement that fails there — a clash of random numbers, say — can be retried without losing the
 * rest of the caller's work.
 */
export async function inSavepoint<T>(conn: Conn, work: (trx: Trx) => Promise<T>): Promise<T> {
  return conn.transaction((trx: Trx) => work(trx));
}

/** The first row of a query mapped to a domain object, optionally locked for the caller's transaction. */
export async function findOne<R, T>(
  query: Knex.QueryBuilder,
  map: (row: R) => T,
  lock: { forUpdate?: boolean } = {},
): Promise<T | undefined> {
  const row = (await (lock.forUpdate ? query.forUpdate() : query)) as R | undefined;
  return row === undefined ? undefined : map(row);
}
