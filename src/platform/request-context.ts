import { AsyncLocalStorage } from 'node:async_hooks';
import type { Knex } from 'knex';

/**
 * Work that a request's transaction must do inside itself just before it commits. The Idempotency-Key
 * claim is marked there, so "the work committed" and "the key says so" are one fact.
 */
export interface CommitHook {
  beforeCommit(trx: Knex.Transaction): Promise<void>;
  committed(trx: Knex.Transaction): void;
  rolledBack(trx: Knex.Transaction): void;
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
