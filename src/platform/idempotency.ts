import { createHmac } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Db } from './db';
import { isDuplicateKey } from './db';
import { CommonErrors } from './errors';
import { appError } from './http';
import type { PiiVault } from './pii';
import { validationFailed } from './validation';

interface StoredResponse {
  status: number;
  contentType: string;
  body: unknown;
}

/** Stable JSON: the same body with keys in another order is the same request. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * `Idempotency-Key` on POST: the first request with a key runs and its response is kept (sealed, as it
 * may hold personal data); a retry with the same key and body from the same caller gets that response
 * again and changes nothing; the same key with another body is refused. A request that is still running
 * answers 409 so the client waits rather than running it twice. Server failures (5xx) are not kept, so
 * the client can try again.
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
    const fingerprint =
      (req.is('multipart/form-data') ? req.get('content-length') : canonical(req.body)) ?? '';
    const requestHash = createHmac('sha256', hashKey)
      .update(`${req.method} ${req.originalUrl}\n${fingerprint}`)
      .digest();
    try {
      await db('idempotency_keys').insert({
        caller,
        idem_key: key,
        request_hash: requestHash,
        state: 'pending',
        created_at: new Date(),
      });
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      const row = (await db('idempotency_keys').where({ caller, idem_key: key }).first()) as
        { request_hash: Buffer; state: string; response_sealed: Buffer | null } | undefined;
      if (!row) throw appError(CommonErrors.IDEMPOTENCY_IN_PROGRESS);
      if (!row.request_hash.equals(requestHash)) throw appError(CommonErrors.IDEMPOTENCY_KEY_REUSED);
      if (row.state !== 'done' || !row.response_sealed) throw appError(CommonErrors.IDEMPOTENCY_IN_PROGRESS);
      const stored = JSON.parse(vault.open(row.response_sealed)) as StoredResponse;
      res.setHeader('Idempotent-Replayed', 'true');
      res.status(stored.status).type(stored.contentType).json(stored.body);
      return;
    }

    const sendJson = res.json.bind(res);
    res.json = (body: unknown) => {
      const status = res.statusCode;
      const record: StoredResponse = {
        status,
        contentType: String(res.getHeader('content-type') ?? 'application/json'),
        body,
      };
      const settle =
        status >= 500
          ? db('idempotency_keys').where({ caller, idem_key: key }).delete()
          : db('idempotency_keys')
              .where({ caller, idem_key: key })
              .update({
                state: 'done',
                status_code: status,
                response_sealed: vault.seal(JSON.stringify(record)),
              });
      settle.then(
        () => sendJson(body),
        () => sendJson(body),
      );
      return res;
    };
    next();
  };
}
