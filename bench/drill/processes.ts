// Processes the drill starts. Each is recorded (pid and kernel start time) in var/drill/processes.json,
// so a drill that was itself killed outright leaves nothing behind after the next run, and the next
// run can never mistake someone else's process (a reused pid) for one of its own.

import { execFile, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { say, sleep } from './clock';
import { DIR, REGISTRY } from './paths';

/** Programs run to their end (mariadb-install-db, the generator): short-lived, so not recorded. */
export const run = promisify(execFile);

export const running = new Map<ChildProcess, string>();

/** The kernel's start time of a live process (a zombie counts as gone), from /proc. */
function startTimeOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the fields after the command name, which may itself hold spaces: state first, starttime 20th
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[0] === 'Z' ? undefined : fields[19];
  } catch {
    return undefined;
  }
}

interface Recorded {
  pid: number;
  start: string | undefined;
  what: string;
}

function saveRegistry(): void {
  const processes: Recorded[] = [];
  for (const [child, what] of running) {
    if (child.pid !== undefined) processes.push({ pid: child.pid, start: startTimeOf(child.pid), what });
  }
  const owner: Recorded = { pid: process.pid, start: startTimeOf(process.pid), what: 'drill' };
  if (existsSync(DIR)) writeFileSync(REGISTRY, JSON.stringify({ owner, processes }, null, 2));
}

export function adopt(child: ChildProcess, what: string): ChildProcess {
  running.set(child, what);
  child.once('exit', () => {
    running.delete(child);
    saveRegistry();
  });
  saveRegistry();
  return child;
}

export async function reapLeftovers(): Promise<void> {
  if (!existsSync(REGISTRY)) return;
  let saved: { owner?: Recorded; processes?: Recorded[] };
  try {
    saved = JSON.parse(readFileSync(REGISTRY, 'utf8')) as typeof saved;
  } catch {
    return;
  }
  const owner = saved.owner;
  if (owner && owner.pid !== process.pid && owner.start && startTimeOf(owner.pid) === owner.start) {
    throw new Error(`another drill is running (pid ${owner.pid}); let it finish first`);
  }
  for (const p of saved.processes ?? []) {
    if (!p.start || startTimeOf(p.pid) !== p.start) continue;
    say(`stopping ${p.what} (pid ${p.pid}), left running by an earlier drill that did not finish`);
    process.kill(p.pid, 'SIGKILL');
    for (let i = 0; i < 100 && startTimeOf(p.pid) === p.start; i++) await sleep(100);
  }
}

export function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

export function whenExited(child: ChildProcess): Promise<void> {
  if (hasExited(child)) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Sends `signal`, and SIGKILL when the process is still there after `graceMs`. */
export async function terminate(
  child: ChildProcess,
  signal: NodeJS.Signals,
  graceMs = 15_000,
): Promise<void> {
  if (hasExited(child)) return;
  const exited = whenExited(child);
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

export async function stopEverything(): Promise<void> {
  await Promise.all(
    [...running].map(([child, what]) => terminate(child, what === 'redis-server' ? 'SIGKILL' : 'SIGTERM')),
  );
}
