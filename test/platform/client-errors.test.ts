import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { answerClientErrors } from '../../src/platform/client-errors';
import { harness } from '../support/harness';

/** Sends raw bytes and reads the whole answer (the server closes the connection after it). */
function rawRequest(port: number, bytes: Buffer): Promise<{ status: number; headers: string; body: string }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(port, '127.0.0.1', () => socket.write(bytes));
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const [head = '', body = ''] = text.split('\r\n\r\n');
      resolve({ status: Number(head.split(' ')[1]), headers: head, body });
    });
  });
}

describe('requests the HTTP parser refuses', () => {
  let server: Server;
  let port: number;

  before(async () => {
    server = createServer(harness().app);
    answerClientErrors(server, harness().deps.logger);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });

  after(() => new Promise<void>((r) => server.close(() => r())));

  it('when the path carries raw non-ASCII, then 400 MALFORMED_REQUEST as problem+json with a request id', async () => {
    const res = await rawRequest(
      port,
      Buffer.from('GET /api/v1/applications?centre=大良 HTTP/1.1\r\nHost: localhost\r\n\r\n', 'utf8'),
    );
    assert.equal(res.status, 400);
    assert.match(res.headers, /\r\nContent-Type: application\/problem\+json; charset=utf-8\r\n/);
    assert.match(res.headers, /\r\nX-Request-Id: [0-9a-f-]{36}\r\n/);
    const body = JSON.parse(res.body) as { code: string; status: number; title: string };
    assert.equal(body.code, 'MALFORMED_REQUEST');
    assert.equal(body.status, 400);
    assert.equal(body.title, '请求格式不正确');
  });

  it('when the headers are larger than the parser allows, then 431 HEADERS_TOO_LARGE', async () => {
    const res = await rawRequest(
      port,
      Buffer.from(
        `GET /healthz HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${'a'.repeat(20000)}\r\n\r\n`,
      ),
    );
    assert.equal(res.status, 431);
    assert.equal((JSON.parse(res.body) as { code: string }).code, 'HEADERS_TOO_LARGE');
  });
});
