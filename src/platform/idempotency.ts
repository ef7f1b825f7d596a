import { createHmac, randomBytes } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Db } from './db';
import { isDuplicateKey } from './db';
import { CommonErrors } from './errors';
import { appError } from './http';
import type { PiiVault } from './pii';
import { requestScope, type CommitHook } from './request-context';
import { validationFailed } from './validation';

interface StoredResponse {
  status: number;
  contentType: string;
  body: unknown;
}

interface ClaimRow {
  request_hash: Buffer;
  state: 'pending' | 'applied' | 'done';
  owner: Buffer | null;
  claimed_at: Date | null;
  response_sealed: Buffer | null;
}

/**
 * A claim whose request has not settled it after this long belongs to a request that died (its process
 * was killed, or the database went away under it): a retry may take it over. A slow request that is
 * overtaken all the same cannot act twice: its own transaction finds it no longer owns the claim.
 */
export const CLAIM_LEASE_MS = 20_000;
/** How long keeping a response (or releasing a claim) is retried while the database is away. */
const SETTLE_PATIENCE_MS = 20_000;

/** Stable JSON: the same body with keys in another order is the same request. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** What makes two requests with one key the same request: method, path and query, and the body. */
export function requestHash(hashKey: Buffer, req: { method: string; url: string; body: unknown }): Buffer {
  return createHmac('sha256', hashKey)
    .update(`${req.method} ${req.url}\n${canonical(req.body)}`)
    .digest();
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Tries `op` again while the database is away, for a bounded time; gives up quietly. */
async function persistently(op: () => PromiseLike<unknown>): Promise<void> {
  const until = Date.now() + SETTLE_PATIENCE_MS;
  for (let wait = 100; ; wait = Math.min(wait * 2, 2000)) {
    try {
      await op();
      return;
    } catch {
      if (Date.now() + wait > until) return;
      await sleep(wait);
    }
  }
}

/**
 * Marks the claim `applied` inside the request's first transaction, on condition that the request
 * still owns it: committed work and the key's state can never disagree, and a request whose claim was
 * taken over rolls back instead of acting a second time.
 */
function commitHook(where: { caller: string; idem_key: string; owner: Buffer }): CommitHook {
  let markedIn: object | undefined;
  let applied = false;
  return {
    markIn(conn, tx) {
      if (applied || (markedIn && markedIn !== tx)) return undefined;
      markedIn = tx;
      return {
        statement: conn('idempotency_keys')
          .where({ ...where, state: 'pending' })
          .update({ state: 'applied' }),
        check(result) {
          if ((result as { affectedRows?: number }).affectedRows !== 1)
            throw appError(CommonErrors.IDEMPOTENCY_IN_PROGRESS);
        },
      };
    },
    committed(tx) {
      if (markedIn === tx) applied = true;
    },
    rolledBack(tx) {
      if (markedIn === tx) markedIn = undefined;
    },
  };
}

/**
 * Answers that tell the client to try again (a server failure, a rate limit, a row held by another
 * transaction). Kept against the key, they would be the answer to every retry, and the retry they ask
 * for could never happen.
 */
function asksForRetry(status: number, body: unknown): boolean {
  if (status >= 500 || status === 429) return true;
  const code = typeof body === 'object' && body !== null ? (body as { code?: unknown }).code : undefined;
  return code === CommonErrors.CONCURRENT_UPDATE.code;
}

/**
 * `Idempotency-Key` on POST: the first request with a key runs and its response is kept (sealed, as it
 * may hold personal data); a retry with the same key and body from the same caller gets that response
 * again and changes nothing; the same key with another body is refused. A request that is still running
 * answers 409 so the client waits rather than running it twice. Answers asking for a retry (5xx, 429,
 * CONCURRENT_UPDATE) are not kept, so the client can try again. A claim left by a request that died is
 * taken over after CLAIM_LEASE_MS; one whose work committed but whose response was lost answers
 * IDEMPOTENCY_RESPONSE_LOST, never a redo.
 */
export function idempotency(db: Db, vault: PiiVault, hashKey: Buffer) {
  return async (req: Request, res: Response, next: NextFunction, caller: string): Promise<void> => {
    const key = req.get('Idempotency-Key');
    if (req.method !== 'POST' || key === undefined) return next();
    if (key.length === 0 || key.length > 100) {
      throw validationFailed([
        { field: 'Idempotency-Key', code: 'INVALID', message: '幂等键长度应为1到100个字符' },
      ]);
    }
    const hash = requestHash(hashKey, { method: req.method, url: req.originalUrl, body: req.body });
    const id = { caller, idem_key: key };
    const owner = randomBytes(16);
    const now = new Date();
    try {
      await db('idempotency_keys').insert({
        ...id,
        request_hash: hash,
        state: 'pending',
        owner,
        claimed_at: now,
        created_at: now,
      });
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      const row = (await db('idempotency_keys').where(id).first()) as ClaimRow | undefined;
      if (!row) throw appError(CommonErrors.IDEMPOTENCY_IN_PROGRESS);
      if (!row.request_hash.equals(hash)) throw appError(CommonErrors.IDEMPOTENCY_KEY_REUSED);
      if (row.state === 'done' && row.response_sealed) {
        const stored = JSON.parse(vault.open(row.response_sealed)) as StoredResponse;
        res.setHeader('Idempotent-Replayed', 'true');
        res.status(stored.status).type(stored.contentType).json(stored.body);
        return;
      }
      const stale = (row.claimed_at?.getTime() ?? 0) < now.getTime() - CLAIM_LEASE_MS;
      if (!stale) throw appError(CommonErrors.IDEMPOTENCY_IN_PROGRESS);
      if (row.state === 'applied') throw appError(CommonErrors.IDEMPOTENCY_RESPONSE_LOST);
      // the request that claimed the key died before anything committed: this one takes its place.
      // Should that request's transaction still be open, this waits for it and then finds it applied.
      const taken = await db('idempotency_keys')
        .where({ ...id, state: 'pending' })
        .where((q) => (row.owner ? q.where('owner', row.owner) : q.whereNull('owner')))
        .where('claimed_at', '<', new Date(now.getTime() - CLAIM_LEASE_MS))
        .update({ owner, claimed_at: now });
      if (taken !== 1) throw appError(CommonErrors.IDEMPOTENCY_IN_PROGRESS);
    }

    const mine = { ...id, owner };
    const scope = requestScope.getStore();
    if (scope) scope.commitHook = commitHook(mine);
    const sendJson = res.json.bind(res);
    res.json = (body: unknown) => {
      if (scope) scope.commitHook = undefined;
      const status = res.statusCode;
      if (asksForRetry(status, body)) {
        // answer at once; the claim is released as soon as the database lets us, so a retry can run.
        // Only a claim still pending: one marked applied belongs to work that committed before the
        // failure (a read after the commit, or a COMMIT whose answer was lost), and a retry must not
        // redo it: it gets IDEMPOTENCY_IN_PROGRESS, then IDEMPOTENCY_RESPONSE_LOST.
        void persistently(() =>
          db('idempotency_keys')
            .where({ ...mine, state: 'pending' })
            .delete(),
        );
        return sendJson(body);
      }
      const record: StoredResponse = {
        status,
        contentType: String(res.getHeader('content-type') ?? 'application/json'),
        body,
      };
      const sealed = vault.seal(JSON.stringify(record));
      void persistently(() =>
        db('idempotency_keys')
          .where(mine)
          .update({ state: 'done', status_code: status, response_sealed: sealed }),
      ).then(() => sendJson(body));
      return res;
    };
    next();
  };
}
