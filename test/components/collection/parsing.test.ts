import assert from 'node:assert/strict';
import { createReadStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import iconv from 'iconv-lite';
import { Workbook } from 'exceljs';
import type { RawRow } from '../../../src/components/collection/parsing/columns';
import { BatchFileError } from '../../../src/components/collection/parsing/errors';
import {
  countRows,
  detectCsvEncoding,
  detectKind,
  readBatchRows,
} from '../../../src/components/collection/parsing/reader';

const FIXTURES = path.join(__dirname, '..', '..', 'fixtures', 'batches');
const SAMPLES = [
  'batch-small.csv',
  'batch-small.xlsx',
  'batch-district-1000.csv',
  'batch-ronggui-500-gbk.csv',
] as const;

const HEADER = '采集编号,采集日期,姓名,性别,公民身份号码,联系电话,镇街,申领卡类型';

function fixture(name: string): () => Readable {
  return () => createReadStream(path.join(FIXTURES, name));
}

function bytes(content: Buffer | string, chunkSize = 1 << 16): () => Readable {
  const buffer = typeof content === 'string' ? Buffer.from(content) : content;
  return () => {
    const chunks: Buffer[] = [];
    for (let i = 0; i < buffer.length; i += chunkSize) chunks.push(buffer.subarray(i, i + chunkSize));
    return Readable.from(chunks);
  };
}

async function readAll(open: () => Readable): Promise<RawRow[]> {
  const rows: RawRow[] = [];
  for await (const row of readBatchRows(open)) rows.push(row);
  return rows;
}

function recordNo(n: number): string {
  return `CJ${String(n).padStart(7, '0')}`;
}

async function rejectsWith(
  promise: Promise<unknown>,
  code: BatchFileError['code'],
  column?: string,
): Promise<BatchFileError> {
  let caught: unknown;
  try {
    await promise;
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof BatchFileError, `expected a BatchFileError, got ${String(caught)}`);
  assert.equal(caught.code, code);
  assert.equal(caught.column, column);
  return caught;
}

describe('collection batch file reader', () => {
  let dir: string;

  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'batch-parsing-'));
  });

  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  for (const name of SAMPLES) {
    describe(name, () => {
      const expected = JSON.parse(
        readFileSync(path.join(FIXTURES, name.replace(/\.csv$/, '') + '.expect.json'), 'utf8'),
      ) as { rows: number };

      it('gives every data row, numbered from 1, with its record number', async () => {
        const rows = await readAll(fixture(name));
        assert.equal(rows.length, expected.rows);
        rows.forEach((row, i) => {
          assert.equal(row.row, i + 1);
          assert.equal(row.cells.recordNo, recordNo(i + 1));
        });
      });

      it('counts the same rows', async () => {
        assert.equal(await countRows(fixture(name)), expected.rows);
      });
    });
  }

  it('decodes the first row of the UTF-8 sample', async () => {
    const [first] = await readAll(fixture('batch-small.csv'));
    assert.deepEqual(first, {
      row: 1,
      cells: {
        recordNo: 'CJ0000001',
        collectedOn: '2026-11-20',
        name: '诸葛兰磊',
        gender: '女',
        ethnicity: '汉族',
        idNumber: '445202198901152965',
        birthDate: '19890115',
        phone: '13439461931',
        town: '伦教街道',
        community: '常教社区',
        address: '佛山市顺德区伦教街道桂洲大道58号',
        cardType: 'B卡',
        bank: '顺德农商银行',
        guardianName: '',
        guardianIdNumber: '',
        photoNo: 'P0000001.jpg',
      },
    });
  });

  it('reads the XLSX sample like its CSV twin, identity numbers as strings', async () => {
    const fromXlsx = await readAll(fixture('batch-small.xlsx'));
    const fromCsv = await readAll(fixture('batch-small.csv'));
    for (const row of fromXlsx) assert.equal(typeof row.cells.idNumber, 'string');
    assert.deepEqual(fromXlsx, fromCsv);
  });

  it('strips the BOM of a UTF-8 file and keeps cells untrimmed', async () => {
    const [first] = await readAll(fixture('batch-district-1000.csv'));
    assert.ok(first);
    // the first header carries the BOM: the column is only found if it was stripped
    assert.equal(first.cells.recordNo, 'CJ0000001');
    assert.equal(first.cells.name, '何诗华');
    assert.equal(first.cells.town, '均安镇');
    assert.equal(first.cells.idNumber, ' 440105199904085861 ');
    assert.equal(first.cells.photoNo, 'P0000001.jpg', 'no CR left at the end of a CRLF line');
  });

  it('decodes GB18030 as Chinese Excel saves it', async () => {
    const rows = await readAll(fixture('batch-ronggui-500-gbk.csv'));
    assert.deepEqual(rows[0]?.cells, {
      recordNo: 'CJ0000001',
      collectedOn: '2026-11-06',
      name: '刘勇梓',
      gender: '男',
      ethnicity: '汉族',
      idNumber: '440105199801134771',
      birthDate: '1998-01-13',
      phone: '15928674706',
      town: '杏坛镇',
      community: '逢简村',
      address: '佛山市顺德区杏坛镇岭南大道250号',
      cardType: '记名C卡',
      bank: '',
      guardianName: '',
      guardianIdNumber: '',
      photoNo: 'P0000001.jpg',
    });
    assert.equal(rows[19]?.cells.phone, '１８８５０６３８８８４');
    assert.equal(rows[19]?.cells.guardianName, '司徒强锦');
    assert.equal(rows[162]?.cells.name, '迪丽娜尔·阿不都');
    assert.equal(rows[162]?.cells.ethnicity, '维吾尔族');
  });

  it('decodes the same whatever the chunk boundaries of the stream', async () => {
    for (const name of ['batch-ronggui-500-gbk.csv', 'batch-district-1000.csv', 'batch-small.xlsx']) {
      const content = readFileSync(path.join(FIXTURES, name));
      assert.deepEqual(await readAll(bytes(content, 7)), await readAll(fixture(name)), name);
    }
  });

  it('parses columns in any order, ignoring unknown ones and spaces around headers', async () => {
    const lines = readFileSync(path.join(FIXTURES, 'batch-small.csv'), 'utf8').trimEnd().split(/\r?\n/);
    const shuffled = lines
      .map((line, i) => {
        const cells = line.split(',').reverse();
        return [i === 0 ? ' 备注 ' : '随便写', ...cells.map((c) => (i === 0 ? ` ${c} ` : c))].join(',');
      })
      .join('\r\n');
    assert.deepEqual(await readAll(bytes(shuffled)), await readAll(fixture('batch-small.csv')));
  });

  it('gives optional columns the file lacks no value, and short rows empty cells', async () => {
    const rows = await readAll(bytes(`${HEADER}\nCJ0000001,2026-11-05,张三,男,440606199001010001\n`));
    assert.deepEqual(rows, [
      {
        row: 1,
        cells: {
          recordNo: 'CJ0000001',
          collectedOn: '2026-11-05',
          name: '张三',
          gender: '男',
          idNumber: '440606199001010001',
          phone: '',
          town: '',
          cardType: '',
        },
      },
    ]);
  });

  it('skips blank rows without numbering them', async () => {
    const csv = `${HEADER}\r\nCJ1,,,,,,,\r\n\r\n,,,,,,,\r\nCJ2,,,,,,,\n\n  ,\n`;
    const rows = await readAll(bytes(csv));
    assert.deepEqual(
      rows.map((r) => [r.row, r.cells.recordNo]),
      [
        [1, 'CJ1'],
        [2, 'CJ2'],
      ],
    );
    assert.equal(await countRows(bytes(csv)), 2);
  });

  it('accepts a header with no data rows', async () => {
    assert.deepEqual(await readAll(bytes(`${HEADER}\r\n`)), []);
    assert.equal(await countRows(bytes(HEADER)), 0);
  });

  it('refuses a file without a required column, naming it', async () => {
    const csv =
      '采集编号,采集日期,姓名,联系电话,镇街,申领卡类型\nCJ0000001,2026-11-05,张三,13800000000,大良街道,B卡\n';
    const err = await rejectsWith(readAll(bytes(csv)), 'HEADER_MISSING', '公民身份号码');
    assert.match(err.message, /缺少必需的列：公民身份号码/);
    await rejectsWith(countRows(bytes(csv)), 'HEADER_MISSING', '公民身份号码');
  });

  it('refuses an empty file and a picture renamed .csv', async () => {
    const png = Buffer.concat([
      Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'),
      Buffer.from([0, 0, 0, 13, 73, 72]),
    ]);
    assert.throws(() => detectKind(Buffer.alloc(0)), BatchFileError);
    assert.throws(() => detectKind(png), BatchFileError);
    await rejectsWith(readAll(bytes(Buffer.alloc(0))), 'FILE_UNREADABLE');
    await rejectsWith(readAll(bytes(png)), 'FILE_UNREADABLE');
    await rejectsWith(countRows(bytes(png)), 'FILE_UNREADABLE');
  });

  it('tells XLSX from CSV by content', () => {
    assert.equal(detectKind(readFileSync(path.join(FIXTURES, 'batch-small.xlsx'))), 'xlsx');
    assert.equal(detectKind(readFileSync(path.join(FIXTURES, 'batch-ronggui-500-gbk.csv'))), 'csv');
  });

  it('refuses a CSV whose quoting is broken, and a corrupt XLSX', async () => {
    await rejectsWith(readAll(bytes(`${HEADER}\nCJ1,"2026-11-05,张三\nCJ2,,,\n`)), 'FILE_UNREADABLE');
    const xlsx = readFileSync(path.join(FIXTURES, 'batch-small.xlsx'));
    await rejectsWith(readAll(bytes(xlsx.subarray(0, 4000))), 'FILE_UNREADABLE');
  });

  it('passes an error of the stream itself on unchanged', async () => {
    const failure = new Error('decryption failed');
    const content = readFileSync(path.join(FIXTURES, 'batch-district-1000.csv'));
    for (const [name, at] of [
      ['batch-district-1000.csv', 100_000],
      ['batch-small.xlsx', 6_000],
    ] as const) {
      const data = name === 'batch-small.xlsx' ? readFileSync(path.join(FIXTURES, name)) : content;
      const open = () =>
        Readable.from(
          (async function* () {
            yield data.subarray(0, at);
            await Promise.resolve();
            throw failure;
          })(),
        );
      await assert.rejects(readAll(open), (err) => err === failure, name);
    }
  });

  it('detects UTF-8 even when the sample ends inside a character', () => {
    const sample = Buffer.from(`${HEADER}\n张三`);
    const cut = sample.subarray(0, sample.length - 1);
    assert.equal(detectCsvEncoding(cut, false), 'utf8');
    assert.equal(detectCsvEncoding(cut, true), 'gb18030');
    assert.equal(detectCsvEncoding(iconv.encode(`${HEADER}\n张三`, 'gb18030'), true), 'gb18030');
  });

  it('reads UTF-8 text past the first 64 KB', async () => {
    const filler = 'CJ0000001,2026-11-05,张三,男,440606199001010001,13800000000,大良街道,B卡\n';
    const csv = `${HEADER}\n${filler.repeat(2000)}`;
    const rows = await readAll(bytes(csv, 1000));
    assert.equal(rows.length, 2000);
    assert.ok(rows.every((r) => r.cells.name === '张三' && r.cells.town === '大良街道'));
  });

  describe('XLSX cell types', () => {
    it('returns numeric cells as numbers, dates as YYYY-MM-DD and rich text and formulas as text', async () => {
      const file = path.join(dir, 'numeric-id.xlsx');
      // what Excel keeps of an identity number typed into a number cell: the last digits are gone
      const numericId = Number('440606199001010001');
      const workbook = new Workbook();
      const sheet = workbook.addWorksheet('采集');
      sheet.addRow([
        '姓名',
        '申领卡类型',
        '公民身份号码',
        ' 采集编号',
        '镇街',
        '联系电话',
        '采集日期',
        '出生日期',
      ]);
      sheet.addRow([
        { richText: [{ text: '张' }, { text: '三', font: { bold: true } }] },
        { formula: '"B"&"卡"', result: 'B卡' },
        numericId,
        'CJ0000001',
        '大良街道',
        13800138000,
        new Date(Date.UTC(2026, 10, 5)),
        '1990-01-01',
      ]);
      sheet.addRow([]);
      sheet.addRow(['李四', '记名C卡', '44060619900101000X', 'CJ0000002', '容桂街道', '', '', '']);
      const other = workbook.addWorksheet('说明');
      other.addRow(['采集编号', '采集日期', '姓名', '公民身份号码', '联系电话', '镇街', '申领卡类型']);
      other.addRow(['CJ9999999', '', '', '', '', '', '']);
      await workbook.xlsx.writeFile(file);

      const rows = await readAll(() => createReadStream(file));
      assert.deepEqual(rows, [
        {
          row: 1,
          cells: {
            name: '张三',
            cardType: 'B卡',
            idNumber: numericId,
            recordNo: 'CJ0000001',
            town: '大良街道',
            phone: 13800138000,
            collectedOn: '2026-11-05',
            birthDate: '1990-01-01',
          },
        },
        {
          row: 2,
          cells: {
            name: '李四',
            cardType: '记名C卡',
            idNumber: '44060619900101000X',
            recordNo: 'CJ0000002',
            town: '容桂街道',
            phone: '',
            collectedOn: '',
            birthDate: '',
          },
        },
      ]);
      assert.equal(await countRows(() => createReadStream(file)), 2);
    });
  });
});
