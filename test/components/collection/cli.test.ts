import { scratchDir } from '../../support/temp';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { api } from '../../support/builders';
import { createTeam, csvOf, issueLetter, REPO_ROOT, validRow } from '../../support/collection';

const run = promisify(execFile);

describe('npm run cli -- collection:import', function () {
  this.timeout(60000);

  it('when an operator imports a file under a letter, then the report is printed with every rejected row', async () => {
    const team = await createTeam();
    const letter = await issueLetter(team.id);
    const rows = [validRow(), validRow({ 联系电话: '12' }), validRow(), validRow({ 申领卡类型: 'A卡' })];
    const dir = scratchDir('cli-import-');
    const file = path.join(dir, '升平社区.csv');
    writeFileSync(file, csvOf(rows));

    const { stdout } = await run(
      process.execPath,
      [
        '--import',
        'tsx',
        'src/cli.ts',
        'collection:import',
        '--file',
        file,
        '--authorisation',
        letter.authorisationNo,
      ],
      { cwd: REPO_ROOT, env: process.env },
    );
    const lines = stdout.trimEnd().split('\n');
    const batchId = /^Batch (\S+) \(升平社区\.csv\) under (\S+): completed$/.exec(lines[0]!)?.[1];
    assert.ok(batchId, lines[0]);
    assert.deepEqual(lines.slice(1), [
      'rows      4 of 4',
      'accepted  2',
      'rejected  2',
      'by reason',
      '  CARD_TYPE_INVALID       1  申领卡类型应为“B卡”或“记名C卡”',
      '  PHONE_INVALID           1  联系电话应为手机号码或0757开头的固定电话',
      'rejected rows (row, record number, reasons)',
      `        2  ${rows[1]!.采集编号}  PHONE_INVALID`,
      `        4  ${rows[3]!.采集编号}  CARD_TYPE_INVALID`,
    ]);

    const batch = await api('admin').get(`/api/v1/collection-batches/${batchId}`).expect(200);
    assert.equal(batch.body.status, 'completed');
    assert.equal(batch.body.accepted, 2);

    // the same file again is the same batch
    const again = await run(
      process.execPath,
      [
        '--import',
        'tsx',
        'src/cli.ts',
        'collection:import',
        '--file',
        file,
        '--authorisation',
        letter.authorisationNo,
      ],
      { cwd: REPO_ROOT, env: process.env },
    );
    assert.match(
      again.stdout,
      new RegExp(`imported under ${letter.authorisationNo} before: batch ${batchId}`),
    );
  });

  it('when the path is missing or a folder, then one plain line says so and nothing is imported', async () => {
    const dir = scratchDir('cli-import-bad-');
    for (const [file, message] of [
      [path.join(dir, 'nowhere.csv'), `No file at ${path.join(dir, 'nowhere.csv')}`],
      [dir, `${dir} is not a file (give the path of a .csv or .xlsx file)`],
    ] as const) {
      const failed = await run(
        process.execPath,
        ['--import', 'tsx', 'src/cli.ts', 'collection:import', '--file', file, '--authorisation', 'SQ000000'],
        { cwd: REPO_ROOT, env: process.env },
      ).then(
        () => assert.fail('the command should fail'),
        (err: { code: number; stderr: string }) => err,
      );
      assert.equal(failed.code, 1);
      assert.equal(failed.stderr.trim(), message);
    }
  });
});
