import { AsyncLocalStorage } from 'node:async_hooks';

/** Who a request is for, visible to every log line written while it is handled. */
export interface RequestScope {
  reqId: string;
  operatorId: string | null;
  role: string | null;
}

export const requestScope = new AsyncLocalStorage<RequestScope>();

/** Log fields of the current request; empty outside one (jobs, start-up). */
export function requestLogFields(): Partial<RequestScope> {
  const scope = requestScope.getStore();
  return scope ? { reqId: scope.reqId, operatorId: scope.operatorId, role: scope.role } : {};
}
