/**
 * Files holding personal data at rest (uploaded collection batches), encrypted with AES-256-GCM in
 * segments. One GCM stream over a whole file would hand out plaintext before its single tag at the end
 * is checked, and an import commits rows as it reads; with segments every piece is authenticated before
 * anyone sees it. Each segment's header (final flag, length) and index are bound into its tag, so
 * segments cannot be reordered, dropped, or the file cut short without the reader noticing.
 *
 *   file    = MAGIC(4) VERSION(1) NONCE_PREFIX(8) segment*
 *   segment = FINAL(1) LENGTH(4, BE) CIPHERTEXT(LENGTH) TAG(16)
 *   nonce   = NONCE_PREFIX || index (4, BE)
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

const MAGIC = Buffer.from('CCSF', 'latin1');
const VERSION = 1;
const HEADER_BYTES = MAGIC.length + 1 + 8;
const SEGMENT_HEAD_BYTES = 5;
const TAG_BYTES = 16;
export const SEGMENT_BYTES = 64 * 1024;
export const FILE_KEY_BYTES = 32;

/** The file is not one we wrote, was altered, or was cut short: reading it again will not help. */
export class SealedFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SealedFileError';
  }
}

export function newFileKey(): Buffer {
  return randomBytes(FILE_KEY_BYTES);
}

function nonce(prefix: Buffer, index: number): Buffer {
  const n = Buffer.alloc(12);
  prefix.copy(n, 0);
  n.writeUInt32BE(index, 8);
  return n;
}

function segmentAad(header: Buffer, index: number, head: Buffer): Buffer {
  const i = Buffer.alloc(4);
  i.writeUInt32BE(index, 0);
  return Buffer.concat([header, i, head]);
}

/** Encrypts what is written to it; memory stays at one segment whatever the size of the file. */
export function sealingStream(key: Buffer): Transform {
  const prefix = randomBytes(8);
  const header = Buffer.concat([MAGIC, Buffer.from([VERSION]), prefix]);
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let index = 0;
  let started = false;

  const segment = (plain: Buffer, final: boolean): Buffer => {
    if (index === 0xffffffff) throw new SealedFileError('file too large to seal');
    const head = Buffer.alloc(SEGMENT_HEAD_BYTES);
    head[0] = final ? 1 : 0;
    head.writeUInt32BE(plain.length, 1);
    const cipher = createCipheriv('aes-256-gcm', key, nonce(prefix, index));
    cipher.setAAD(segmentAad(header, index, head));
    const body = Buffer.concat([cipher.update(plain), cipher.final()]);
    index += 1;
    return Buffer.concat([head, body, cipher.getAuthTag()]);
  };
  const begin = (stream: Transform) => {
    if (!started) {
      started = true;
      stream.push(header);
    }
  };

  return new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      try {
        begin(this);
        pending.push(chunk);
        pendingBytes += chunk.length;
        // a full segment is only written once more data follows, so the last one can be flagged final
        while (pendingBytes > SEGMENT_BYTES) {
          const all = Buffer.concat(pending, pendingBytes);
          this.push(segment(all.subarray(0, SEGMENT_BYTES), false));
          const rest = all.subarray(SEGMENT_BYTES);
          pending = [rest];
          pendingBytes = rest.length;
        }
        done();
      } catch (err) {
        done(err as Error);
      }
    },
    flush(done: TransformCallback) {
      try {
        begin(this);
        this.push(segment(Buffer.concat(pending, pendingBytes), true));
        done();
      } catch (err) {
        done(err as Error);
      }
    },
  });
}

/** Decrypts a sealed file, authenticating each segment before passing its plaintext on. */
export function openingStream(key: Buffer): Transform {
  let buffered: Buffer = Buffer.alloc(0);
  let header: Buffer | undefined;
  let index = 0;
  let finished = false;

  return new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      buffered = buffered.length ? Buffer.concat([buffered, chunk]) : chunk;
      try {
        if (!header) {
          if (buffered.length < HEADER_BYTES) return done();
          header = buffered.subarray(0, HEADER_BYTES);
          if (!header.subarray(0, MAGIC.length).equals(MAGIC) || header[MAGIC.length] !== VERSION) {
            throw new SealedFileError('not a sealed file');
          }
          buffered = buffered.subarray(HEADER_BYTES);
        }
        const prefix = header.subarray(MAGIC.length + 1);
        while (buffered.length >= SEGMENT_HEAD_BYTES) {
          if (finished) throw new SealedFileError('data after the final segment');
          const head = buffered.subarray(0, SEGMENT_HEAD_BYTES);
          const length = head.readUInt32BE(1);
          if (length > SEGMENT_BYTES || head[0]! > 1) throw new SealedFileError('malformed segment');
          const total = SEGMENT_HEAD_BYTES + length + TAG_BYTES;
          if (buffered.length < total) break;
          const decipher = createDecipheriv('aes-256-gcm', key, nonce(prefix, index));
          decipher.setAAD(segmentAad(header, index, head));
          decipher.setAuthTag(buffered.subarray(total - TAG_BYTES, total));
          let plain: Buffer;
          try {
            plain = Buffer.concat([
              decipher.update(buffered.subarray(SEGMENT_HEAD_BYTES, total - TAG_BYTES)),
              decipher.final(),
            ]);
          } catch {
            throw new SealedFileError('segment failed authentication');
          }
          index += 1;
          finished = head[0] === 1;
          buffered = buffered.subarray(total);
          if (plain.length) this.push(plain);
        }
        done();
      } catch (err) {
        done(err as Error);
      }
    },
    flush(done: TransformCallback) {
      done(finished && buffered.length === 0 ? undefined : new SealedFileError('sealed file is truncated'));
    },
  });
}
