import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import request from 'supertest';
import { buildApp } from '../../../src/app';
import { importBatch, recoverUnfinishedBatches } from '../../../src/components/collection';
import { MAX_UPLOAD_BYTES } from '../../../src/components/collection/upload';
import type { Queues } from '../../../src/platform/queue';
import { api, auditEvents } from '../../support/builders';
import { as, collectionSetup, csvOf, HEADER, upload, validRow, waitForBatch } from '../../support/collection';
import { harness } from '../../support/harness';

const PNG = Buffer.from(
  '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082',
  'hex',
);

/** The app as it is while Redis cannot be reached: every enqueue fails as ioredis fails it. */
function appWithQueueDown() {
  const h = harness();
  const down: Queues = {
    ...h.deps.queues,
    enqueue: () =>
      Promise.reject(new Error("Stream isn't writeable and enableOfflineQueue options is false")),
  };
  return buildApp({ ...h.deps, queues: down });
}

describe('POST /api/v1/collection-batches', () => {
  it('when a collector uploads a file under their letter, then 202 queued, the file is stored encrypted and the import job is enqueued by batch id', async () => {
    const { token, authorisationNo } = await collectionSetup();
    const row = validRow();
    const res = await upload(token, authorisationNo, csvOf([row]), '十一月采集.csv').expect(202);
    assert.deepEqual(Object.keys(res.body).sort(), ['batchId', 'status']);
    assert.equal(res.body.status, 'queued');

    const stored = readFileSync(path.join(harness().config.uploadDir, `${res.body.batchId}.sealed`));
    assert.equal(stored.subarray(0, 4).toString('latin1'), 'CCSF');
    assert.ok(
      !stored.includes(Buffer.from(row.公民身份号码!)),
      'the identity number is not on disk in clear',
    );
    assert.ok(!stored.includes(Buffer.from('公民身份号码')), 'nothing of the file is on disk in clear');

    const job = await harness().deps.queues.get('collection').getJob(`import-${res.body.batchId}`);
    assert.ok(job, 'the import job is queued under a job id made from the batch id');
    assert.deepEqual(job.data, { batchId: res.body.batchId });

    const batch = await waitForBatch(token, res.body.batchId);
    assert.equal(batch.status, 'completed');
    assert.equal(batch.fileName, '十一月采集.csv');
    assert.equal(batch.authorisationNo, authorisationNo);
    const events = await auditEvents('batch', res.body.batchId);
    assert.deepEqual(
      events.map((e) => e.action),
      ['batch.uploaded', 'batch.started', 'batch.completed'],
    );
    assert.equal(events[0]!.channel, 'collection');
    assert.deepEqual(events[2]!.after, { status: 'completed', accepted: 1, rejected: 0, byReason: {} });
  });

  it('when two files of the same size are sent with one Idempotency-Key, then each is its own batch and a retry finds its own', async () => {
    const { token, authorisationNo } = await collectionSetup();
    const row = validRow();
    const one = csvOf([row]);
    // another person: an identity number of the same length in the same place
    const twin = validRow({}, { birthDate: row.出生日期!, gender: row.性别 === '男' ? 'M' : 'F' });
    const other = one.replace(row.公民身份号码!, twin.公民身份号码!);
    assert.equal(Buffer.byteLength(one), Buffer.byteLength(other));
    const send = (csv: string) => upload(token, authorisationNo, csv).set('Idempotency-Key', 'upload-001');
    const first = await send(one).expect(202);
    const second = await send(other).expect(202);
    assert.notEqual(second.body.batchId, first.body.batchId);
    const retried = await send(other).expect(200);
    assert.equal(retried.body.batchId, second.body.batchId);
    for (const id of [first.body.batchId, second.body.batchId])
      assert.equal((await waitForBatch(token, id as string)).accepted, 1);
  });

  it('when the same file is uploaded twice under one letter, then the second gets 200 with the same batch', async () => {
    const { token, authorisationNo } = await collectionSetup();
    const csv = csvOf([validRow(), validRow()]);
    const first = await upload(token, authorisationNo, csv, 'a.csv').expect(202);
    const second = await upload(token, authorisationNo, csv, 'b.csv').expect(200);
    assert.equal(second.body.batchId, first.body.batchId);
    assert.equal(second.body.fileName, 'a.csv');
    await waitForBatch(token, first.body.batchId);
    const list = await as(token).get('/api/v1/collection-batches').expect(200);
    assert.deepEqual(
      list.body.items.map((b: { batchId: string }) => b.batchId),
      [first.body.batchId],
    );
  });

  it('when the same file arrives twice at the same moment, then one batch is made', async () => {
    const { token, authorisationNo } = await collectionSetup();
    const csv = csvOf([validRow()]);
    const results = await Promise.all([
      upload(token, authorisationNo, csv),
      upload(token, authorisationNo, csv),
    ]);
    assert.deepEqual(results.map((r) => r.status).sort(), [200, 202]);
    assert.equal(results[0]!.body.batchId, results[1]!.body.batchId);
    await waitForBatch(token, results[0]!.body.batchId);
  });

  it('when the token is not a collector’s, then 403; without a token, then 401', async () => {
    const { authorisationNo } = await collectionSetup();
    const counter = await request(harness().app)
      .post('/api/v1/collection-batches')
      .set('Authorization', `Bearer ${harness().tokens.counterDL}`)
      .field('authorisationNo', authorisationNo)
      .attach('file', Buffer.from(csvOf([validRow()])), 'batch.csv')
      .expect(403);
    assert.equal(counter.body.code, 'FORBIDDEN');
    const anonymous = await request(harness().app)
      .post('/api/v1/collection-batches')
      .field('authorisationNo', authorisationNo)
      .attach('file', Buffer.from(csvOf([validRow()])), 'batch.csv')
      .expect(401);
    assert.equal(anonymous.body.code, 'UNAUTHENTICATED');
  });

  it('when the letter belongs to another team or does not exist, then 403 AUTHORISATION_INVALID', async () => {
    const mine = await collectionSetup();
    const theirs = await collectionSetup();
    const res = await upload(mine.token, theirs.authorisationNo, csvOf([validRow()])).expect(403);
    assert.equal(res.body.code, 'AUTHORISATION_INVALID');
    assert.equal(res.body.detail, '授权书不属于本队伍');
    const unknown = await upload(mine.token, 'SQ0000000000', csvOf([validRow()])).expect(403);
    assert.equal(unknown.body.code, 'AUTHORISATION_INVALID');
  });

  it('when the file is empty, a PNG renamed .csv, or lacks the identity number column, then 422 with the matching code', async () => {
    const { token, authorisationNo } = await collectionSetup();
    const empty = await upload(token, authorisationNo, Buffer.alloc(0), 'empty.csv').expect(422);
    assert.equal(empty.body.code, 'FILE_UNREADABLE');
    const headerOnly = await upload(token, authorisationNo, csvOf([]), 'header.csv').expect(422);
    assert.equal(headerOnly.body.code, 'FILE_UNREADABLE');
    assert.equal(headerOnly.body.detail, '文件只有表头，没有采集数据');
    const png = await upload(token, authorisationNo, PNG, 'photo.csv').expect(422);
    assert.equal(png.body.code, 'FILE_UNREADABLE');
    const header = HEADER.filter((h) => h !== '公民身份号码');
    const noId = await upload(token, authorisationNo, csvOf([validRow()], header)).expect(422);
    assert.equal(noId.body.code, 'HEADER_MISSING');
    assert.match(noId.body.detail, /公民身份号码/);
    const oldExcel = await upload(
      token,
      authorisationNo,
      Buffer.from('d0cf11e0a1b11ae1000000000000000000000000', 'hex'),
      'batch.xls',
    ).expect(422);
    assert.equal(oldExcel.body.code, 'FILE_UNREADABLE');
    // nothing of a refused upload stays behind
    const list = await as(token).get('/api/v1/collection-batches').expect(200);
    assert.deepEqual(list.body.items, []);
  });

  it('when the file is larger than 50 MB, then 413 PAYLOAD_TOO_LARGE and nothing is kept', async () => {
    const { token, authorisationNo } = await collectionSetup();
    const before = readdirSync(harness().config.uploadDir).length;
    const big = Buffer.alloc(MAX_UPLOAD_BYTES + 1, 'a');
    const res = await upload(token, authorisationNo, big, 'big.csv').expect(413);
    assert.equal(res.body.code, 'PAYLOAD_TOO_LARGE');
    assert.equal(res.body.detail, '文件不能超过50MB');
    assert.equal(readdirSync(harness().config.uploadDir).length, before);
  });

  it('when an over-large file arrives in pieces, as a collector’s app streams it, then 413 comes while it is still arriving and nothing is kept', async function () {
    this.timeout(60000);
    const { token, authorisationNo } = await collectionSetup();
    const before = readdirSync(harness().config.uploadDir).length;
    const server = createServer(harness().app);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const { port } = server.address() as AddressInfo;
      const boundary = 'piecewise';
      const head =
        `--${boundary}\r\nContent-Disposition: form-data; name="authorisationNo"\r\n\r\n${authorisationNo}\r\n` +
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n` +
        'Content-Type: text/csv\r\n\r\n';
      const piece = Buffer.alloc(1024 * 1024, 'a');
      const pieces = Math.ceil(MAX_UPLOAD_BYTES / piece.length) + 2;
      const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = httpRequest(
          {
            port,
            method: 'POST',
            path: '/api/v1/collection-batches',
            headers: {
              Authorization: `Bearer ${token}`,
              'Content-Type': `multipart/form-data; boundary=${boundary}`,
            },
          },
          (res) => {
            let body = '';
            res.setEncoding('utf8');
            res.on('data', (d: string) => (body += d));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          },
        );
        req.on('error', reject);
        void (async () => {
          req.write(head);
          for (let i = 0; i < pieces && !req.destroyed; i++) {
            if (!req.write(piece)) await new Promise((r) => req.once('drain', r));
            await new Promise((r) => setImmediate(r));
          }
          req.end(`\r\n--${boundary}--\r\n`);
        })();
      });
      const res = await answer;
      assert.equal(res.status, 413);
      assert.equal((JSON.parse(res.body) as { code: string }).code, 'PAYLOAD_TOO_LARGE');
      assert.equal(readdirSync(harness().config.uploadDir).length, before);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  it('when the file or the letter number is missing, or the body is not multipart, then 422 or 415', async () => {
    const { token, authorisationNo } = await collectionSetup();
    const noFile = await as(token)
      .post('/api/v1/collection-batches')
      .field('authorisationNo', authorisationNo)
      .expect(422);
    assert.deepEqual(noFile.body.errors, [{ field: 'file', code: 'REQUIRED', message: '必填项' }]);
    const noLetter = await as(token)
      .post('/api/v1/collection-batches')
      .attach('file', Buffer.from(csvOf([validRow()])), 'batch.csv')
      .expect(422);
    assert.deepEqual(noLetter.body.errors, [
      { field: 'authorisationNo', code: 'REQUIRED', message: '必填项' },
    ]);
    const twoFiles = await as(token)
      .post('/api/v1/collection-batches')
      .field('authorisationNo', authorisationNo)
      .attach('file', Buffer.from(csvOf([validRow()])), 'a.csv')
      .attach('file', Buffer.from(csvOf([validRow()])), 'b.csv')
      .expect(422);
    assert.deepEqual(twoFiles.body.errors, [
      { field: 'file', code: 'INVALID', message: '一次只能上传一个文件' },
    ]);
    assert.deepEqual((await as(token).get('/api/v1/collection-batches').expect(200)).body.items, []);
    const json = await as(token).post('/api/v1/collection-batches', { authorisationNo }).expect(415);
    assert.equal(json.body.code, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('when the multipart body ends in the middle of a file, then 400 MALFORMED_UPLOAD and the API keeps serving', async () => {
    const { token } = await collectionSetup();
    for (const name of ['file', 'other']) {
      const cut = await as(token)
        .post('/api/v1/collection-batches')
        .set('Content-Type', 'multipart/form-data; boundary=xyz')
        .send(`--xyz\r\nContent-Disposition: form-data; name="${name}"; filename="a.csv"\r\n\r\nabc`)
        .expect(400);
      assert.equal(cut.body.code, 'MALFORMED_UPLOAD');
    }
    await api().get('/healthz').expect(200);
  });

  it('when the queue cannot be reached, then 503 and the batch waits queued until the recovery job enqueues it', async () => {
    const h = harness();
    const offline = appWithQueueDown();
    const { token, authorisationNo } = await collectionSetup();
    const csv = csvOf([validRow(), validRow()]);
    const send = (app: typeof offline) =>
      request(app)
        .post('/api/v1/collection-batches')
        .set('Authorization', `Bearer ${token}`)
        .field('authorisationNo', authorisationNo)
        .attach('file', Buffer.from(csv), 'batch.csv');
    const res = await send(offline).expect(503);
    assert.equal(res.body.code, 'SERVICE_UNAVAILABLE');

    const list = await as(token).get('/api/v1/collection-batches').expect(200);
    assert.equal(list.body.items.length, 1);
    const waiting = list.body.items[0];
    assert.equal(waiting.status, 'queued');
    assert.equal(await h.deps.queues.get('collection').getJob(`import-${waiting.batchId}`), undefined);
    // the client trying again finds the batch it already made
    const retried = await send(offline).expect(200);
    assert.equal(retried.body.batchId, waiting.batchId);

    const recovered = await recoverUnfinishedBatches(h.deps, 0);
    assert.ok(recovered.enqueued >= 1);
    const done = await waitForBatch(token, waiting.batchId);
    assert.equal(done.status, 'completed');
    assert.equal(done.accepted, 2);
    assert.ok(existsSync(path.join(h.config.uploadDir, `${waiting.batchId}.sealed`)));
  });
});

describe('POST /api/v1/collection-batches for a batch that failed', () => {
  it('when its stored file was lost and the same file is uploaded again, then the batch is taken up again and completes once', async () => {
    const h = harness();
    const offline = appWithQueueDown();
    const { token, authorisationNo } = await collectionSetup();
    const rows = [validRow(), validRow(), validRow()];
    const csv = Buffer.from(csvOf(rows));
    // the upload is kept while the queue is away; then its file is lost before any worker reads it
    await request(offline)
      .post('/api/v1/collection-batches')
      .set('Authorization', `Bearer ${token}`)
      .field('authorisationNo', authorisationNo)
      .attach('file', csv, 'batch.csv')
      .expect(503);
    const waiting = (await as(token).get('/api/v1/collection-batches').expect(200)).body.items[0];
    rmSync(path.join(h.config.uploadDir, `${waiting.batchId}.sealed`));
    await h.deps.queues.enqueue(importBatch, { batchId: waiting.batchId });
    const failed = await waitForBatch(token, waiting.batchId);
    assert.equal(failed.status, 'failed');
    assert.equal(failed.failure, '存储的文件已不存在');

    const again = await upload(token, authorisationNo, csv, 'batch.csv').expect(202);
    assert.deepEqual(again.body, { batchId: waiting.batchId, status: 'queued' });
    const done = await waitForBatch(token, waiting.batchId);
    assert.equal(done.status, 'completed');
    assert.equal(done.failure, undefined);
    assert.deepEqual([done.accepted, done.rejected], [3, 0]);
    for (const row of rows) {
      const found = await api('counterDL')
        .post('/api/v1/residents/lookup', { idNumber: row.公民身份号码 })
        .expect(200);
      assert.equal(found.body.applications.length, 1);
    }
    assert.deepEqual(
      (await auditEvents('batch', waiting.batchId)).map((e) => e.action),
      ['batch.uploaded', 'batch.failed', 'batch.requeued', 'batch.started', 'batch.completed'],
    );
    // finished now: the same file again is the same completed batch
    const after = await upload(token, authorisationNo, csv, 'batch.csv').expect(200);
    assert.equal(after.body.status, 'completed');
  });
});

describe('GET /api/v1/collection-batches', () => {
  it('when a collector lists batches, then only their team’s; an admin sees every team’s, filtered by status', async () => {
    const a = await collectionSetup();
    const b = await collectionSetup();
    const first = await upload(a.token, a.authorisationNo, csvOf([validRow()])).expect(202);
    const second = await upload(b.token, b.authorisationNo, csvOf([validRow()])).expect(202);
    await waitForBatch(a.token, first.body.batchId);
    await waitForBatch(b.token, second.body.batchId);

    const mine = await as(a.token).get('/api/v1/collection-batches').expect(200);
    assert.deepEqual(
      mine.body.items.map((x: { batchId: string }) => x.batchId),
      [first.body.batchId],
    );
    assert.equal(mine.body.nextCursor, null);
    const theirs = await as(a.token).get(`/api/v1/collection-batches/${second.body.batchId}`).expect(404);
    assert.equal(theirs.body.code, 'BATCH_NOT_FOUND');

    const all = await api('admin').get('/api/v1/collection-batches?status=completed&limit=200').expect(200);
    const ids = all.body.items.map((x: { batchId: string }) => x.batchId);
    assert.ok(ids.includes(first.body.batchId) && ids.includes(second.body.batchId));
    const none = await api('admin').get('/api/v1/collection-batches?status=failed&limit=200').expect(200);
    assert.ok(!none.body.items.some((x: { batchId: string }) => ids.includes(x.batchId)));
    const page = await api('admin').get('/api/v1/collection-batches?limit=1').expect(200);
    assert.equal(page.body.items.length, 1);
    assert.ok(page.body.nextCursor);
    const next = await api('admin')
      .get(`/api/v1/collection-batches?limit=1&cursor=${page.body.nextCursor}`)
      .expect(200);
    assert.notEqual(next.body.items[0].batchId, page.body.items[0].batchId);

    await api('counterDL').get('/api/v1/collection-batches').expect(403);
    await api('admin').get('/api/v1/collection-batches?status=lost').expect(422);
  });
});
