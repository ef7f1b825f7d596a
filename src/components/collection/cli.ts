import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { loadConfig } from '../../config';
import { systemContext } from '../../platform/context';
import { systemClock } from '../../platform/dates';
import type { Db } from '../../platform/db';
import { createLogger } from '../../platform/logger';
import { createPiiVault } from '../../platform/pii';
import { registerBatch, type BatchStore } from './batches';
import { runImport } from './import/job';
import { reasonText } from './reasons';
import * as repo from './repository';
import { BatchFiles, removeFile } from './storage';
import { safeFileName, sealToDisk } from './upload';

/**
 * `collection:import --file <path> --authorisation <no>`: imports a batch file under a letter in this
 * process (no queue needed) and prints the report. The letter must be valid today, as for an upload;
 * the same file under the same letter again prints the report of the batch that exists.
 */
export const collectionImportCommand = {
  usage: 'collection:import --file <path to .csv or .xlsx> --authorisation <authorisationNo>',
  async run(db: Db, flags: Record<string, string>): Promise<void> {
    if (!flags.file || !flags.authorisation) throw new Error('Both --file and --authorisation are needed');
    await readableFile(flags.file);
    const config = loadConfig();
    const vault = createPiiVault(config.piiEncryptionKey, config.piiHashKey);
    const logger = createLogger({ level: config.logLevel, file: config.logFile, stdout: false, name: 'cli' });
    const store: BatchStore = { db, files: new BatchFiles(config.uploadDir, vault), clock: systemClock };
    const file = await sealToDisk(
      createReadStream(flags.file),
      store.files,
      safeFileName(path.basename(flags.file)),
    );
    let batchId: string;
    try {
      const outcome = await registerBatch(
        store,
        file,
        flags.authorisation.trim(),
        null,
        systemContext('cli'),
      );
      batchId = outcome.batch.batchId;
      if (!outcome.created)
        console.log(`This file was imported under ${flags.authorisation} before: batch ${batchId}`);
    } finally {
      await removeFile(file.tempPath);
    }
    await runImport({ db, vault, clock: systemClock, config, logger }, batchId);
    await printReport(db, batchId);
  },
};

async function printReport(db: Db, batchId: string): Promise<void> {
  const batch = (await repo.findBatch(db, { id: batchId }))!;
  console.log(`Batch ${batch.id} (${batch.fileName}) under ${batch.authorisationNo}: ${batch.status}`);
  if (batch.failure) console.log(`failure   ${batch.failure}`);
  console.log(`rows      ${batch.doneRows}${batch.totalRows === null ? '' : ` of ${batch.totalRows}`}`);
  console.log(`accepted  ${batch.accepted}`);
  console.log(`rejected  ${batch.rejected}`);
  const reasons = Object.entries(batch.byReason).sort(([a], [b]) => (a < b ? -1 : 1));
  if (reasons.length) {
    console.log('by reason');
    const width = Math.max(...reasons.map(([code]) => code.length));
    for (const [code, rows] of reasons)
      console.log(`  ${code.padEnd(width)}  ${String(rows).padStart(6)}  ${reasonText(code)}`);
  }
  if (batch.rejected) {
    console.log('rejected rows (row, record number, reasons)');
    for (let after = 0; ;) {
      const page = await repo.listRejections(db, batch.dbId, after, 1000);
      for (const r of page)
        console.log(`  ${String(r.row).padStart(7)}  ${r.recordNo}  ${r.reasons.join(',')}`);
      const last = page[page.length - 1];
      if (!last || page.length < 1000) break;
      after = last.row;
    }
  }
}

/** Says plainly what is wrong with the path before anything is read or written. */
async function readableFile(file: string): Promise<void> {
  let info;
  try {
    info = await stat(file);
  } catch {
    throw new Error(`No file at ${file}`);
  }
  if (!info.isFile()) throw new Error(`${file} is not a file (give the path of a .csv or .xlsx file)`);
}
