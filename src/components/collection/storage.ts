import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { pipeline, type Readable } from 'node:stream';
import type { PiiVault } from '../../platform/pii';
import { openingStream } from '../../platform/sealed-file';

const SEALED_SUFFIX = '.sealed';
const TEMP_PREFIX = 'upload-';

/**
 * Where uploaded batch files live: one encrypted file per batch, named by the batch id, under the
 * upload directory. Each file has its own key, stored with the batch sealed by the PII key, so rotating
 * the PII key never means rewriting files and deleting a key row makes its file unreadable.
 */
export class BatchFiles {
  constructor(
    readonly dir: string,
    private readonly vault: PiiVault,
  ) {}

  async ensureDir(): Promise<void> {
    await fs.mkdir(this.dir, { recursive: true });
  }

  pathOf(batchId: string): string {
    return path.join(this.dir, `${batchId}${SEALED_SUFFIX}`);
  }

  tempPath(): string {
    return path.join(this.dir, `${TEMP_PREFIX}${randomUUID()}.part`);
  }

  sealKey(key: Buffer): Buffer {
    return this.vault.seal(key.toString('hex'));
  }

  openKey(sealed: Buffer): Buffer {
    return Buffer.from(this.vault.open(sealed), 'hex');
  }

  /** The plaintext of a sealed file as a stream; a missing or altered file fails the stream. */
  openPath(file: string, key: Buffer): Readable {
    return pipeline(
      createReadStream(file, { highWaterMark: 256 * 1024 }),
      openingStream(key),
      () => undefined,
    );
  }

  open(batchId: string, fileKeySealed: Buffer): Readable {
    return this.openPath(this.pathOf(batchId), this.openKey(fileKeySealed));
  }

  async adopt(tempPath: string, batchId: string): Promise<void> {
    await fs.rename(tempPath, this.pathOf(batchId));
  }

  /** Gives the file stored under one batch id to another, replacing what that one had. */
  async move(fromBatchId: string, toBatchId: string): Promise<void> {
    await fs.rename(this.pathOf(fromBatchId), this.pathOf(toBatchId));
  }

  async remove(batchId: string): Promise<void> {
    await removeFile(this.pathOf(batchId));
  }

  /**
   * Files left behind by uploads that never became a batch (a crash between writing and committing):
   * batch files whose id `isBatch` does not know, and temporary files, older than `before`.
   */
  async leftovers(before: Date, isBatch: (ids: string[]) => Promise<Set<string>>): Promise<string[]> {
    let names: string[];
    try {
      names = await fs.readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const old: string[] = [];
    for (const name of names) {
      if (!name.endsWith(SEALED_SUFFIX) && !name.startsWith(TEMP_PREFIX)) continue;
      const stat = await fs.stat(path.join(this.dir, name)).catch(() => undefined);
      if (stat && stat.mtime < before) old.push(name);
    }
    const ids = old.filter((n) => n.endsWith(SEALED_SUFFIX)).map((n) => n.slice(0, -SEALED_SUFFIX.length));
    const known = await isBatch(ids);
    return old
      .filter((n) => !n.endsWith(SEALED_SUFFIX) || !known.has(n.slice(0, -SEALED_SUFFIX.length)))
      .map((n) => path.join(this.dir, n));
  }
}

export async function removeFile(file: string): Promise<void> {
  await fs.rm(file, { force: true });
}
