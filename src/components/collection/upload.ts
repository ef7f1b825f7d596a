import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import busboy from 'busboy';
import type { Request } from 'express';
import { CommonErrors } from '../../platform/errors';
import { appError } from '../../platform/http';
import { validationFailed } from '../../platform/validation';
import { newFileKey, sealingStream } from '../../platform/sealed-file';
import { CollectionErrors } from './errors';
import { removeFile, type BatchFiles } from './storage';

/** Far above the largest district batch (100,000 rows is about 20 MB of CSV). */
export const MAX_UPLOAD_BYTES = 50 * 1024 * 1024;

export interface ReceivedFile {
  /** Encrypted on disk under the upload directory; the caller adopts or removes it. */
  tempPath: string;
  key: Buffer;
  fileName: string;
  size: number;
  /** SHA-256 of the plaintext: the same file gives the same hash whatever its key. */
  contentHash: Buffer;
}

export interface ReceivedUpload {
  file?: ReceivedFile;
  fields: Record<string, string>;
}

export function safeFileName(name: string | undefined): string {
  const base = (name ?? '').split(/[\\/]/).pop() ?? '';
  // eslint-disable-next-line no-control-regex -- control characters are what is being removed
  const clean = base.replace(/[\u0000-\u001f\u007f]/g, '').trim();
  return [...(clean || 'batch')].slice(0, 200).join('');
}

/**
 * Writes a stream to a temporary file under the upload directory, encrypted with a key of its own and
 * hashed on the way: memory stays at one segment whatever the size, and the plaintext never touches
 * the disk.
 */
export async function sealToDisk(
  source: Readable,
  files: BatchFiles,
  fileName: string,
  onPath?: (path: string) => void,
): Promise<ReceivedFile> {
  await files.ensureDir();
  const tempPath = files.tempPath();
  onPath?.(tempPath);
  const key = newFileKey();
  const hash = createHash('sha256');
  let size = 0;
  const measure = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
  });
  try {
    await pipeline(source, measure, sealingStream(key), createWriteStream(tempPath));
  } catch (err) {
    await removeFile(tempPath);
    throw err;
  }
  return { tempPath, key, fileName, size, contentHash: hash.digest() };
}

/**
 * Receives a multipart upload (`file` and text fields), sealing the file to disk as it arrives.
 */
export function receiveUpload(
  req: Request,
  files: BatchFiles,
  maxBytes = MAX_UPLOAD_BYTES,
): Promise<ReceivedUpload> {
  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: req.headers,
      defParamCharset: 'utf8',
      limits: { files: 1, fileSize: maxBytes, fields: 10, fieldSize: 1024, parts: 20 },
    });
  } catch {
    return Promise.reject(
      appError(CommonErrors.UNSUPPORTED_MEDIA_TYPE, '请以 multipart/form-data 上传 file 和 authorisationNo'),
    );
  }

  return new Promise<ReceivedUpload>((resolve, reject) => {
    const fields: Record<string, string> = {};
    let writing: Promise<ReceivedFile> | undefined;
    let fileStream: Readable | undefined;
    let tempPath: string | undefined;
    let settled = false;

    const fail = (err: unknown) => {
      if (settled) return;
      settled = true;
      req.unpipe(parser);
      // the parser hears no more of the body, so the file being written would never end: stop it,
      // which also removes what was written of it
      fileStream?.destroy(new Error('upload refused'));
      // the rest of the body is read and dropped, so the connection can carry the error response
      req.resume();
      void (async () => {
        await writing?.catch(() => undefined);
        if (tempPath) await removeFile(tempPath);
        reject(err instanceof Error ? err : new Error(String(err)));
      })();
    };

    parser.on('field', (name, value) => {
      fields[name] = value;
    });
    parser.on('file', (name, stream, info) => {
      // a body cut off mid-file errors this stream; unheard, that error would end the process
      stream.on('error', () => fail(appError(CollectionErrors.MALFORMED_UPLOAD, '上传内容不完整')));
      if (name !== 'file' || writing) {
        stream.resume();
        return;
      }
      fileStream = stream;
      stream.on('limit', () =>
        fail(appError(CommonErrors.PAYLOAD_TOO_LARGE, `文件不能超过${Math.floor(maxBytes / 1048576)}MB`)),
      );
      writing = sealToDisk(stream, files, safeFileName(info.filename), (path) => (tempPath = path));
      writing.catch(fail);
    });
    parser.on('error', () => fail(appError(CollectionErrors.MALFORMED_UPLOAD)));
    // a second file would be dropped unread: say so rather than import the first one alone
    parser.on('filesLimit', () =>
      fail(validationFailed([{ field: 'file', code: 'INVALID', message: '一次只能上传一个文件' }])),
    );
    parser.on('close', () => {
      if (settled) return;
      void (async () => {
        try {
          const file = writing ? await writing : undefined;
          if (settled) return;
          settled = true;
          resolve({ file, fields });
        } catch (err) {
          fail(err);
        }
      })();
    });
    req.on('close', () => {
      if (!req.complete) fail(appError(CollectionErrors.MALFORMED_UPLOAD, '上传被中断'));
    });
    req.pipe(parser);
  });
}
