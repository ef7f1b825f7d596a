import { randomUUID } from 'node:crypto';
import { STATUS_CODES, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { CommonErrors, type ErrorSpec } from './errors';
import { appError, PROBLEM_JSON, problemBody } from './http';
import type { Logger } from './logger';

/** Requests Node's HTTP parser refuses before Express sees them, by the parser's error code. */
const PARSER_REFUSALS: Record<string, ErrorSpec> = {
  HPE_HEADER_OVERFLOW: CommonErrors.HEADERS_TOO_LARGE,
  ERR_HTTP_REQUEST_TIMEOUT: CommonErrors.REQUEST_TIMEOUT,
};

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
    const refusal = appError(PARSER_REFUSALS[err.code ?? ''] ?? CommonErrors.MALFORMED_REQUEST);
    const requestId = randomUUID();
    const body = JSON.stringify(problemBody(refusal));
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
