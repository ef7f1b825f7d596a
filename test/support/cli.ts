import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { REPO_ROOT } from './collection';

const run = promisify(execFile);

/** `npm run cli -- <args>` against the suite's own database (the environment is passed on). */
export function runCli(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
    cwd: REPO_ROOT,
    env: process.env,
  });
}

/** Every value of some table rows as text, binary columns both as their bytes and as hex. */
export function textOfRows(rows: Array<Record<string, unknown>>): string {
  return rows
    .flatMap((r) => Object.values(r))
    .map((v) => (Buffer.isBuffer(v) ? `${v.toString('latin1')} ${v.toString('hex')}` : String(v)))
    .join('\n');
}
