import { randomUUID } from 'node:crypto';
import { STATUS_CODES, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from './logger';
import { PROBLEM_JSON } from './http';

/** Requests Node's HTTP parser refuses before Express sees them, by the parser's error code. */
const PARSER_REFUSALS: Record<string, { status: number; code: string; title: string }> = {
  HPE_HEADER_OVERFLOW: { status: 431, code: 'HEADERS_TOO_LARGE', title: '请求头过大' },
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, code: 'REQUEST_TIMEOUT', title: '请求超时' },
};
const MALFORMED = { status: 400, code: 'MALFORMED_REQUEST', title: '请求格式不正确' };

/**
 * A request line or header the HTTP parser cannot read (raw non-ASCII in the path, oversized headers)
 * never reaches the app; Node would answer it with a bare status line. Answer it like every other
 * error instead: problem+json with a stable code and an X-Request-Id, then close the connection.
 */
export function answerClientErrors(server: Server, logger: Logger): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const refusal = PARSER_REFUSALS[err.code ?? ''] ?? MALFORMED;
    const requestId = randomUUID();
    const body = JSON.stringify({
      type: `urn:citizen-card:problem:${refusal.code.toLowerCase().replaceAll('_', '-')}`,
      title: refusal.title,
      status: refusal.status,
      code: refusal.code,
      detail: refusal.title,
    });
    logger.warn(
      { reqId: requestId, parserError: err.code, status: refusal.status },
      'request refused by the HTTP parser',
    );
    socket.end(
      [
        `HTTP/1.1 ${refusal.status} ${STATUS_CODES[refusal.status] ?? ''}`,
        `Content-Type: ${PROBLEM_JSON}; charset=utf-8`,
        `Content-Length: ${Buffer.byteLength(body)}`,
        `X-Request-Id: ${requestId}`,
        'Connection: close',
        '',
        body,
      ].join('\r\n'),
    );
  });
}
