import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { readBatchRows } from '../../../src/components/collection/parsing/reader';
import { normaliseIdNumber } from '../../../src/components/residents';
import { api } from '../../support/builders';
import {
  collectionSetup,
  expectedReport,
  importBatch,
  reportOf,
  sample,
  samplePeriod,
  withdrawApplications,
} from '../../support/collection';

/** The identity numbers of the rows a sample file's report accepts. */
async function acceptedIdNumbers(content: Buffer, rejectedRows: number[]): Promise<string[]> {
  const ids: string[] = [];
  for await (const row of readBatchRows(() => Readable.from([content]))) {
    if (!rejectedRows.includes(row.row)) ids.push(normaliseIdNumber(String(row.cells.idNumber)));
  }
  return ids;
}

// Each sample file is imported once in the whole suite: its people must be new to the database for
// the report to be the one in its .expect.json. batch-small.csv and batch-small.xlsx hold the same
// people, so the applications the CSV made are withdrawn at the counter before the XLSX goes in.
describe('import-batch job: the sample batches of ../shared/data', function () {
  this.timeout(120000);

  it('when batch-district-1000.csv (UTF-8 with BOM, CRLF) is imported, then the report is exactly its .expect.json', async () => {
    const { token, authorisationNo } = await collectionSetup({ area: 'ALL', ...samplePeriod() });
    const { content, expect } = sample('batch-district-1000.csv');
    const batch = await importBatch(token, authorisationNo, content, 'batch-district-1000.csv');
    assert.equal(batch.status, 'completed');
    assert.deepEqual(batch.progress, { done: 1000, total: 1000 });
    assert.deepEqual(await reportOf(token, batch), expectedReport(expect));
    await withdrawApplications(batch.batchId);
  });

  it('when batch-ronggui-500-gbk.csv (GB18030) is imported under a letter for its three towns, then the report is exactly its .expect.json', async () => {
    const { token, authorisationNo } = await collectionSetup({
      area: ['容桂街道', '均安镇', '杏坛镇'],
      ...samplePeriod(),
    });
    const { content, expect } = sample('batch-ronggui-500-gbk.csv');
    const batch = await importBatch(token, authorisationNo, content, 'batch-ronggui-500-gbk.csv');
    assert.equal(batch.status, 'completed');
    assert.deepEqual(batch.progress, { done: 500, total: 500 });
    assert.deepEqual(await reportOf(token, batch), expectedReport(expect));
    await withdrawApplications(batch.batchId);
  });

  it('when batch-small.csv and then batch-small.xlsx (the same people) are imported, then each report is exactly its .expect.json', async () => {
    const { token, authorisationNo } = await collectionSetup({ area: 'ALL', ...samplePeriod() });
    const csv = sample('batch-small.csv');
    const first = await importBatch(token, authorisationNo, csv.content, 'batch-small.csv');
    assert.equal(first.status, 'completed');
    assert.deepEqual(await reportOf(token, first), expectedReport(csv.expect));

    // the CSV's people now hold open applications: withdraw them so the XLSX meets them as new applicants
    const ids = await acceptedIdNumbers(
      csv.content,
      csv.expect.rejectedRows.map((r) => r.row),
    );
    assert.equal(ids.length, 17);
    for (const idNumber of ids) {
      const resident = await api('counterDL').post('/api/v1/residents/lookup', { idNumber }).expect(200);
      assert.equal(resident.body.applications.length, 1);
      const { applicationNo } = resident.body.applications[0];
      await api('counterDL').post(`/api/v1/applications/${applicationNo}/cancel`).expect(200);
    }

    const xlsx = sample('batch-small.xlsx');
    const second = await importBatch(token, authorisationNo, xlsx.content, 'batch-small.xlsx');
    assert.equal(second.status, 'completed');
    assert.deepEqual(second.progress, { done: 20, total: 20 });
    assert.deepEqual(await reportOf(token, second), expectedReport(xlsx.expect));
    await withdrawApplications(second.batchId);
  });
});
