import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { purgeBatchFiles } from '../../../src/components/collection';
import { auditEvents } from '../../support/builders';
import { as, collectionSetup, csvOf, importBatch, validRow } from '../../support/collection';
import { harness } from '../../support/harness';

const DAY_MS = 24 * 3600 * 1000;

describe('purge-collection-uploads job', () => {
  it('when a batch finished more than UPLOAD_RETENTION_DAYS ago, then its file is deleted and the report stays', async () => {
    const h = harness();
    const { token, authorisationNo } = await collectionSetup();
    const batch = await importBatch(token, authorisationNo, csvOf([validRow(), validRow({ 联系电话: '0' })]));
    const file = path.join(h.config.uploadDir, `${batch.batchId}.sealed`);
    assert.ok(existsSync(file));
    const finished = new Date(batch.finishedAt as string).getTime();
    const days = h.config.uploadRetentionDays;

    const early = { ...h.deps, clock: { now: () => new Date(finished + (days - 1) * DAY_MS) } };
    await purgeBatchFiles(early);
    assert.ok(existsSync(file), 'kept until the retention period is over');

    const late = { ...h.deps, clock: { now: () => new Date(finished + days * DAY_MS + 60000) } };
    const result = await purgeBatchFiles(late);
    assert.ok(result.deleted >= 1);
    assert.ok(!existsSync(file));
    await purgeBatchFiles(late);
    const events = await auditEvents('batch', batch.batchId);
    assert.deepEqual(
      events.map((e) => e.action),
      ['batch.uploaded', 'batch.started', 'batch.completed', 'batch.file_deleted'],
    );
    // the report outlives the file
    const rejections = await as(token)
      .get(`/api/v1/collection-batches/${batch.batchId}/rejections`)
      .expect(200);
    assert.equal(rejections.body.items.length, 1);
  });

  it('when an upload never became a batch, then its file is deleted a day later, not before', async () => {
    const h = harness();
    mkdirSync(h.config.uploadDir, { recursive: true });
    const old = new Date(Date.now() - 2 * DAY_MS);
    const orphan = path.join(h.config.uploadDir, `${randomUUID()}.sealed`);
    const partial = path.join(h.config.uploadDir, `upload-${randomUUID()}.part`);
    const fresh = path.join(h.config.uploadDir, `upload-${randomUUID()}.part`);
    for (const f of [orphan, partial, fresh]) writeFileSync(f, 'CCSF');
    utimesSync(orphan, old, old);
    utimesSync(partial, old, old);
    await purgeBatchFiles(h.deps);
    assert.ok(!existsSync(orphan));
    assert.ok(!existsSync(partial));
    assert.ok(existsSync(fresh));
  });
});
