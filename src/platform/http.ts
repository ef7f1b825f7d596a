import { randomUUID } from 'node:crypto';
import type { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response } from 'express';
import type { Logger } from './logger';
import { requestScope } from './request-context';
import { AppError, CommonErrors, type ErrorSpec } from './errors';
import { isRetryableTransactionError, mysqlErrno, MYSQL } from './db';

export const PROBLEM_JSON = 'application/problem+json';

declare module 'express-serve-static-core' {
  interface Request {
    id: string;
  }
}

/** Keeps the caller's X-Request-Id (when it is sane) or makes one, and echoes it on every response. */
export function requestId(): RequestHandler {
  return (req, res, next) => {
    const given = req.get('X-Request-Id');
    req.id = given && /^[\w.:-]{1,100}$/.test(given) ? given : randomUUID();
    res.setHeader('X-Request-Id', req.id);
    requestScope.run({ reqId: req.id, operatorId: null, role: null }, next);
  };
}

/**
 * One line per request when it completes. Request id, operator and role come from the request scope
 * (the logger's mixin); bodies and query strings are never logged, as they may hold personal data.
 */
export function requestLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const line = {
        req: { method: req.method, path: req.originalUrl.split('?')[0] },
        res: { statusCode: res.statusCode },
        responseTime: Math.round(ms),
      };
      const failed = res.statusCode >= 500;
      // a route whose 5xx is a deliberate answer says so in res.locals.logLevel
      const level = failed ? ((res.locals.logLevel as 'warn' | undefined) ?? 'error') : 'info';
      logger[level](line, failed ? 'request failed' : 'request completed');
    });
    next();
  };
}

/** The problem+json body of an error, the same whichever layer answers it. */
export function problemBody(err: AppError, instance?: string): Record<string, unknown> {
  return {
    type: `urn:citizen-card:problem:${err.code.toLowerCase().replaceAll('_', '-')}`,
    title: err.title,
    status: err.status,
    code: err.code,
    detail: err.detail ?? err.title,
    ...(err.fieldErrors ? { errors: err.fieldErrors } : {}),
    ...(instance ? { instance } : {}),
  };
}

export function sendProblem(res: Response, err: AppError, instance?: string): void {
  if (err.headers) for (const [k, v] of Object.entries(err.headers)) res.setHeader(k, v);
  res.status(err.status).type(PROBLEM_JSON).json(problemBody(err, instance));
}

export function appError(spec: ErrorSpec, detail?: string, headers?: Record<string, string>): AppError {
  return new AppError(spec.code, spec.kind, spec.title, detail, undefined, headers);
}

/** body-parser's and the database driver's failures that are the client's doing or a passing state. */
function translate(err: unknown): AppError | undefined {
  if (err instanceof AppError) return err;
  const type = typeof err === 'object' && err !== null && 'type' in err ? String(err.type) : '';
  if (type === 'entity.parse.failed') return appError(CommonErrors.MALFORMED_JSON);
  if (type === 'entity.too.large') return appError(CommonErrors.PAYLOAD_TOO_LARGE, '请求内容不能超过100KB');
  if (type === 'encoding.unsupported' || type === 'charset.unsupported') {
    return appError(CommonErrors.UNSUPPORTED_MEDIA_TYPE);
  }
  // the router could not percent-decode a path parameter (/cards/%E0%A4%A)
  if (err instanceof URIError) return appError(CommonErrors.MALFORMED_REQUEST, '请求地址的编码不正确');
  // any other client error the HTTP layer raised (a gzip body that is not gzip, say) is the client's
  const status = typeof err === 'object' && err !== null && 'status' in err ? Number(err.status) : 0;
  const exposed = typeof err === 'object' && err !== null && 'expose' in err && err.expose === true;
  if (exposed && status === 415) return appError(CommonErrors.UNSUPPORTED_MEDIA_TYPE);
  if (exposed && status >= 400 && status < 500) return appError(CommonErrors.MALFORMED_REQUEST);
  if (isRetryableTransactionError(err)) return appError(CommonErrors.CONCURRENT_UPDATE);
  const errno = mysqlErrno(err);
  if (errno === MYSQL.DUPLICATE_KEY) return appError(CommonErrors.CONCURRENT_UPDATE);
  if (isConnectionFailure(err))
    return appError(CommonErrors.SERVICE_UNAVAILABLE, undefined, { 'Retry-After': '5' });
  return undefined;
}

function isConnectionFailure(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const code = 'code' in err ? String(err.code) : '';
  const name = 'name' in err ? String(err.name) : '';
  const message = 'message' in err ? String(err.message) : '';
  return (
    ['ECONNREFUSED', 'ETIMEDOUT', 'ECONNRESET', 'PROTOCOL_CONNECTION_LOST', 'ER_CON_COUNT_ERROR'].includes(
      code,
    ) ||
    name === 'KnexTimeoutError' ||
    // mysql2 marks errors that ended the connection as fatal; later calls on it say it is closed
    ('fatal' in err && err.fatal === true) ||
    /Connection is closed|connection is in closed state|Stream isn't writeable|enableOfflineQueue|Command timed out|max retries per request/i.test(
      message,
    )
  );
}

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const known = translate(err);
    if (res.headersSent) {
      logger.error({ err }, 'error after the response was sent');
      return;
    }
    if (known) {
      if (known.status >= 500) logger.warn({ err }, known.code);
      sendProblem(res, known);
      return;
    }
    logger.error({ err }, 'unhandled error');
    sendProblem(res, appError(CommonErrors.INTERNAL_ERROR, `请求编号 ${req.id}`));
  };
}

export const notFound: RequestHandler = (req, _res, next) => {
  next(appError(CommonErrors.NOT_FOUND, `${req.method} ${req.path}`));
};

/** A POST that carries a body must carry JSON; an HTML form or plain text gets a clear 415. */
export const requireJsonBody: RequestHandler = (req, _res, next) => {
  const hasBody = Number(req.get('content-length') ?? 0) > 0 || req.get('transfer-encoding') !== undefined;
  if (hasBody && !req.is(['application/json', 'application/*+json'])) {
    next(appError(CommonErrors.UNSUPPORTED_MEDIA_TYPE, '请求内容必须是 application/json'));
    return;
  }
  next();
};
