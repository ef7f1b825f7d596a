import { AsyncLocalStorage } from 'node:async_hooks';
import type { Conn, Statement } from './db';

/** A write a transaction makes before it commits, and the check of its result. */
export interface CommitMark {
  statement: Statement;
  /** Throws when the statement's result (the driver's OK packet) says the transaction must not commit. */
  check(result: unknown): void;
}

/**
 * Work that a request's transaction must do inside itself before it commits. The Idempotency-Key claim
 * is marked there, so "the work committed" and "the key says so" are one fact. A transaction is known
 * by an object of its own (`tx`), whatever runs it.
 */
export interface CommitHook {
  /** The mark to make in transaction `tx`, built on `conn`; undefined when another transaction made it. */
  markIn(conn: Conn, tx: object): CommitMark | undefined;
  committed(tx: object): void;
  rolledBack(tx: object): void;
}

/** Who a request is for, visible to every log line written while it is handled. */
export interface RequestScope {
  reqId: string;
  operatorId: string | null;
  role: string | null;
  commitHook?: CommitHook;
}

export const requestScope = new AsyncLocalStorage<RequestScope>();

/** Log fields of the current request; empty outside one (jobs, start-up). */
export function requestLogFields(): Partial<RequestScope> {
  const scope = requestScope.getStore();
  return scope ? { reqId: scope.reqId, operatorId: scope.operatorId, role: scope.role } : {};
}
