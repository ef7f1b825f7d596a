/**
 * Streaming reader of collection batch files (CSV in UTF-8 or GB18030, or XLSX). The stored file is
 * decrypted on the fly, so the reader only ever sees a stream, and a batch can be large: rows are
 * produced one at a time and nothing grows with the size of the file (bar the XLSX shared-strings table,
 * which the format makes unavoidable).
 */
import { Readable, pipeline } from 'node:stream';
import { parse } from 'csv-parse';
import iconv from 'iconv-lite';
import { stream as excelStream, type CellValue, type Row } from 'exceljs';
import {
  COLUMNS,
  REQUIRED_COLUMNS,
  isColumnHeader,
  type ColumnHeader,
  type ColumnKey,
  type RawRow,
} from './columns';
import { BatchFileError } from './errors';

/** How much of the file is looked at to tell its kind and its text encoding. */
const SAMPLE_BYTES = 64 * 1024;

/**
 * A quote left open makes csv-parse swallow the rest of the file into one field; capping the record size
 * turns that into an error instead of a buffer as large as the file. Real rows are a few hundred chars.
 */
const MAX_RECORD_CHARS = 256 * 1024;

const NOT_A_BATCH_FILE = '文件为空或不是CSV/XLSX格式';

const ZIP_LOCAL_HEADER = Buffer.from([0x50, 0x4b, 0x03, 0x04]);
const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);
/** Old binary Excel (.xls) is common among collectors and deserves its own explanation. */
const OLE2_HEADER = Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);
/** Files most often renamed or picked by mistake; most of these also contain NUL bytes early on. */
const BINARY_MAGIC: readonly Buffer[] = [
  Buffer.from([0x89, 0x50, 0x4e, 0x47]), // PNG
  Buffer.from([0xff, 0xd8, 0xff]), // JPEG
  Buffer.from('GIF8', 'latin1'),
  Buffer.from('%PDF', 'latin1'),
  Buffer.from('RIFF', 'latin1'), // WebP and friends
  Buffer.from([0x49, 0x49, 0x2a, 0x00]), // TIFF
  Buffer.from([0x4d, 0x4d, 0x00, 0x2a]), // TIFF
  Buffer.from([0x1f, 0x8b]), // gzip
  Buffer.from('Rar!', 'latin1'),
  Buffer.from([0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c]), // 7z
];

type Cell = string | number;
type ColumnIndex = readonly (readonly [ColumnKey, number])[];

/**
 * Tells an XLSX from a CSV by the first bytes of the file, refusing anything that is neither (an empty
 * file, an old .xls, an image or PDF renamed .csv).
 */
export function detectKind(head: Buffer): 'xlsx' | 'csv' {
  if (head.length === 0) throw new BatchFileError('FILE_UNREADABLE', NOT_A_BATCH_FILE);
  if (startsWith(head, ZIP_LOCAL_HEADER)) return 'xlsx';
  if (startsWith(head, OLE2_HEADER)) {
    throw new BatchFileError('FILE_UNREADABLE', '不支持旧版Excel（.xls）文件，请另存为XLSX或CSV后重新上传');
  }
  // Text in any encoding we accept never holds a NUL byte; UTF-16 text does, and is refused with it.
  if (BINARY_MAGIC.some((magic) => startsWith(head, magic)) || head.includes(0)) {
    throw new BatchFileError('FILE_UNREADABLE', NOT_A_BATCH_FILE);
  }
  return 'csv';
}

/**
 * The text encoding of a CSV from its first bytes: UTF-8 when it has a BOM or the sample is valid UTF-8,
 * otherwise GB18030 (what Chinese Excel writes for "CSV (逗号分隔)"). `complete` says the sample is the
 * whole file; when it is not, a multi-byte character cut at the end of the sample is not held against it.
 */
export function detectCsvEncoding(sample: Buffer, complete: boolean): 'utf8' | 'gb18030' {
  if (startsWith(sample, UTF8_BOM)) return 'utf8';
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(sample, { stream: !complete });
    return 'utf8';
  } catch {
    return 'gb18030';
  }
}

/**
 * The data rows of a batch file, in order. `open` is called once and must return the file's bytes.
 * Throws BatchFileError for a file that cannot be imported at all (FILE_UNREADABLE, HEADER_MISSING);
 * an error of the stream itself is passed on unchanged, since it says nothing about the file.
 */
export async function* readBatchRows(open: () => Readable): AsyncGenerator<RawRow> {
  let row = 0;
  for await (const { columns, cells } of dataRecords(open)) {
    row += 1;
    const out: RawRow['cells'] = {};
    for (const [key, index] of columns) out[key] = cells[index] ?? '';
    yield { row, cells: out };
  }
}

/** The number of rows readBatchRows would give, read the same way (for a progress total). */
export async function countRows(open: () => Readable): Promise<number> {
  let count = 0;
  for await (const _ of dataRecords(open)) count += 1;
  return count;
}

async function* dataRecords(
  open: () => Readable,
): AsyncGenerator<{ columns: ColumnIndex; cells: readonly Cell[] }> {
  const input = await openInput(open);
  try {
    const records = input.kind === 'xlsx' ? xlsxRecords(input) : csvRecords(input);
    let columns: ColumnIndex | undefined;
    try {
      for await (const cells of records) {
        if (isBlank(cells)) continue;
        if (columns === undefined) columns = mapHeader(cells);
        else yield { columns, cells };
      }
    } catch (err) {
      throw asFileError(err, input);
    }
    if (columns === undefined) throw new BatchFileError('FILE_UNREADABLE', NOT_A_BATCH_FILE);
  } finally {
    input.close();
  }
}

interface Input {
  kind: 'xlsx' | 'csv';
  /** The first bytes of the file, at least SAMPLE_BYTES unless the file is shorter. */
  head: Buffer;
  /** The head is the whole file. */
  complete: boolean;
  /** The whole file again, head included. */
  body: Readable;
  /** The error the underlying stream failed with, if it did. */
  sourceError(): unknown;
  close(): void;
}

/**
 * Opens the file once and reads its head for detection, then replays the head in front of the rest of
 * the stream, rather than opening (and decrypting) the file a second time.
 */
async function openInput(open: () => Readable): Promise<Input> {
  const source = open();
  const chunks = source[Symbol.asyncIterator]() as AsyncIterator<unknown>;
  const parts: Buffer[] = [];
  let size = 0;
  let complete = false;
  try {
    while (size < SAMPLE_BYTES) {
      const next = await chunks.next();
      if (next.done) {
        complete = true;
        break;
      }
      const chunk = toBuffer(next.value);
      parts.push(chunk);
      size += chunk.length;
    }
  } catch (err) {
    source.destroy();
    throw err;
  }
  const head = Buffer.concat(parts, size);
  let kind: 'xlsx' | 'csv';
  try {
    kind = detectKind(head);
  } catch (err) {
    source.destroy();
    throw err;
  }

  let failure: { error: unknown } | undefined;
  async function* replay(): AsyncGenerator<Buffer> {
    yield head;
    if (complete) return;
    for (;;) {
      let next: IteratorResult<unknown>;
      try {
        next = await chunks.next();
      } catch (err) {
        failure = { error: err };
        throw err;
      }
      if (next.done) return;
      yield toBuffer(next.value);
    }
  }
  const body = Readable.from(replay(), { objectMode: false });
  return {
    kind,
    head,
    complete,
    body,
    sourceError: () => failure?.error,
    close() {
      body.destroy();
      source.destroy();
    },
  };
}

/**
 * What a collector can do something about, for the csv-parse errors a hand-edited file can cause. The
 * line is given only where csv-parse knows it: a quote left open is noticed only at the end of the file.
 */
const CSV_PROBLEMS: Readonly<Record<string, { problem: string; atLine: boolean }>> = {
  CSV_QUOTE_NOT_CLOSED: { problem: '有引号没有闭合', atLine: false },
  CSV_MAX_RECORD_SIZE: { problem: '有一行过长（多半是引号没有闭合）', atLine: false },
  CSV_INVALID_CLOSING_QUOTE: { problem: '引号后没有紧跟逗号或换行', atLine: true },
  CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE: { problem: '引号后没有紧跟逗号或换行', atLine: true },
};

function asFileError(err: unknown, input: Input): unknown {
  if (err instanceof BatchFileError) return err;
  if (input.sourceError() === err && err !== undefined) return err;
  let message = '无法读取文件：XLSX文件已损坏或格式不正确';
  if (input.kind === 'csv') {
    message = '无法读取文件：CSV文件格式不正确';
    const { code, lines } = (err ?? {}) as { code?: unknown; lines?: unknown };
    const known = typeof code === 'string' ? CSV_PROBLEMS[code] : undefined;
    if (known) {
      message += `，${known.problem}`;
      if (known.atLine && typeof lines === 'number') message += `（第${lines}行）`;
    }
  }
  return new BatchFileError('FILE_UNREADABLE', message, undefined, err);
}

async function* csvRecords(input: Input): AsyncGenerator<readonly Cell[]> {
  const encoding = detectCsvEncoding(input.head.subarray(0, SAMPLE_BYTES), input.complete);
  const parser = parse({
    relax_column_count: true,
    // A stray quote typed inside a field (an address, a name) should make that row invalid at
    // validation, not the whole batch unreadable; a quoted field left open is still refused.
    relax_quotes: true,
    // Listed rather than auto-detected: detection fixes the first ending seen for the whole file, and
    // hand-edited files mix CRLF and LF (Excel for Mac can still write lone CRs).
    record_delimiter: ['\r\n', '\n', '\r'],
    max_record_size: MAX_RECORD_CHARS,
  });
  // iconv strips a UTF-8 BOM while decoding. Failures reach the loop below through the parser, which
  // pipeline destroys with the error.
  pipeline(input.body, iconv.decodeStream(encoding), parser, () => undefined);
  for await (const record of parser as AsyncIterable<unknown>) {
    if (Array.isArray(record)) yield record as string[];
  }
}

async function* xlsxRecords(input: Input): AsyncGenerator<readonly Cell[]> {
  // The unzipper inside ExcelJS is fed with pipe(), which does not forward errors: if the stream fails,
  // ExcelJS would wait for more bytes forever. The tripwire makes every wait give up on that error.
  const tripwire = new Tripwire();
  input.body.on('error', (err) => tripwire.trip(err));

  const workbook = new excelStream.xlsx.WorkbookReader(input.body, {
    worksheets: 'emit',
    // Text cells are indices into the shared-strings table and cannot be resolved without it.
    sharedStrings: 'cache',
    // Date cells are numbers told apart only by their number format, which lives in the styles.
    styles: 'cache',
    hyperlinks: 'ignore',
    entries: 'ignore',
  });
  const sheets = workbook[Symbol.asyncIterator]();
  for (;;) {
    const sheet = await tripwire.guard(sheets.next());
    if (sheet.done) return;
    if (!isFirstSheet(workbook, sheet.value)) continue;
    const rows = sheet.value[Symbol.asyncIterator]();
    for (;;) {
      const row = await tripwire.guard(rows.next());
      if (row.done) return;
      yield rowCells(row.value);
    }
  }
}

/**
 * Worksheets arrive in the order of the zip, which need not be the order of the tabs; the workbook part
 * (read first in files Excel writes) gives the tab order. Without it, the first worksheet to arrive is
 * taken.
 */
function isFirstSheet(workbook: object, sheet: object): boolean {
  const model = (workbook as { model?: { sheets?: readonly { id?: unknown }[] } }).model;
  const firstId = model?.sheets?.[0]?.id;
  // ExcelJS gives the reader the workbook's numeric sheet id only when it could match the two up.
  const id = (sheet as { id?: unknown }).id;
  return typeof firstId !== 'number' || typeof id !== 'number' || id === firstId;
}

function rowCells(row: Row): Cell[] {
  const cells: Cell[] = [];
  row.eachCell((cell, col) => {
    while (cells.length < col - 1) cells.push('');
    cells[col - 1] = cellText(cell.value);
  });
  return cells;
}

function cellText(value: CellValue): Cell {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number' || typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if (value instanceof Date) return isoDate(value);
  if ('richText' in value) return richText(value.richText);
  if ('formula' in value || 'sharedFormula' in value) return formulaResult(value.result);
  if ('hyperlink' in value) return linkText(value.text);
  if ('error' in value) return value.error;
  return '';
}

function formulaResult(result: number | string | boolean | Date | { error: string } | undefined): string {
  if (result === undefined) return '';
  if (result instanceof Date) return isoDate(result);
  if (typeof result === 'object') return result.error;
  if (typeof result === 'boolean') return result ? 'TRUE' : 'FALSE';
  return String(result);
}

/** A hyperlink cell's text may itself be rich text, whatever the typings say. */
function linkText(text: unknown): string {
  if (typeof text === 'string') return text;
  if (typeof text === 'object' && text !== null && 'richText' in text && Array.isArray(text.richText)) {
    return richText(text.richText as { text?: unknown }[]);
  }
  return '';
}

function richText(runs: readonly { text?: unknown }[]): string {
  // ExcelJS leaves the text of an empty run null.
  return runs.map((run) => (typeof run.text === 'string' ? run.text : '')).join('');
}

/** ExcelJS builds dates as if Excel's serial numbers were UTC, so the UTC parts are the calendar date. */
function isoDate(date: Date): string {
  if (Number.isNaN(date.getTime())) return '';
  const y = String(date.getUTCFullYear()).padStart(4, '0');
  const m = String(date.getUTCMonth() + 1).padStart(2, '0');
  const d = String(date.getUTCDate()).padStart(2, '0');
  return `${y}-${m}-${d}`;
}

function mapHeader(cells: readonly Cell[]): ColumnIndex {
  const found = new Map<ColumnHeader, number>();
  cells.forEach((cell, index) => {
    // trim() also removes a BOM left in front of the first header
    const name = String(cell).trim();
    if (isColumnHeader(name) && !found.has(name)) found.set(name, index);
  });
  const missing = REQUIRED_COLUMNS.filter((header) => !found.has(header));
  const first = missing[0];
  if (first !== undefined) {
    throw new BatchFileError('HEADER_MISSING', `缺少必需的列：${missing.join('、')}`, first);
  }
  return [...found].map(([header, index]) => [COLUMNS[header], index] as const);
}

/** A row of empty or whitespace-only cells: what spreadsheets leave after the last real row. */
function isBlank(cells: readonly Cell[]): boolean {
  return cells.every((cell) => typeof cell === 'string' && cell.trim() === '');
}

function startsWith(buffer: Buffer, prefix: Buffer): boolean {
  return buffer.length >= prefix.length && buffer.subarray(0, prefix.length).equals(prefix);
}

function toBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (typeof chunk === 'string') return Buffer.from(chunk);
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  throw new TypeError('batch file stream must yield bytes');
}

/**
 * Lets a pending promise be abandoned when the stream fails. It keeps at most one waiter, so awaiting
 * once per row does not pile up reactions on a promise that may never settle.
 */
class Tripwire {
  private failure: Error | undefined;
  private reject: ((error: Error) => void) | undefined;

  trip(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    this.reject?.(error);
  }

  guard<T>(promise: Promise<T>): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<T>((resolve, reject) => {
      this.reject = reject;
      promise
        .finally(() => {
          this.reject = undefined;
        })
        .then(resolve, reject);
    });
  }
}
