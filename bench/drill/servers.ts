// The private MariaDB and Redis.

import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, closeSync, constants, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { createDb } from '../../src/platform/db';
import { sleep } from './clock';
import { DIR, LOGS } from './paths';
import { adopt, hasExited, run, terminate } from './processes';

interface Binaries {
  mariadbd: string;
  installDb: string;
  redisServer: string;
}

function findBinary(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/local/sbin', '/usr/bin'];
  for (const dir of dirs.filter(Boolean)) {
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this folder
    }
  }
  return undefined;
}

export function findBinaries(): Binaries | { missing: string[] } {
  const mariadbd = findBinary('mariadbd');
  const installDb = findBinary('mariadb-install-db');
  const redisServer = findBinary('redis-server');
  if (mariadbd && installDb && redisServer) return { mariadbd, installDb, redisServer };
  return {
    missing: [
      ...(mariadbd ? [] : ['mariadbd']),
      ...(installDb ? [] : ['mariadb-install-db']),
      ...(redisServer ? [] : ['redis-server']),
    ],
  };
}

function portAnswers(port: number, probe?: { send: string; expect: string }): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => {
      if (!probe) return done(true);
      socket.write(probe.send);
    });
    socket.on('data', (d: Buffer) => done(!probe || d.toString().startsWith(probe.expect)));
  });
}

function logFile(name: string): number {
  return openSync(path.join(LOGS, name), 'a');
}

export class PrivateMariaDb {
  private child: ChildProcess | undefined;
  private readonly datadir = path.join(DIR, 'mysql');
  private readonly user = userInfo().username;
  // a unix socket path has a hard limit of about 107 bytes
  private readonly socket =
    path.join(DIR, 'mysqld.sock').length < 100
      ? path.join(DIR, 'mysqld.sock')
      : path.join(tmpdir(), `drill-mysqld-${process.pid}.sock`);

  constructor(
    private readonly bins: Binaries,
    readonly port: number,
  ) {}

  url(database = ''): string {
    return `mysql://root@127.0.0.1:${this.port}/${database}`;
  }

  async install(): Promise<void> {
    const log = path.join(LOGS, 'mariadb-install-db.log');
    try {
      const out = await run(
        this.bins.installDb,
        [
          '--no-defaults',
          `--datadir=${this.datadir}`,
          `--user=${this.user}`,
          '--auth-root-authentication-method=normal',
          '--skip-test-db',
        ],
        { cwd: DIR, maxBuffer: 1 << 22 },
      );
      writeFileSync(log, out.stdout + out.stderr);
    } catch (err) {
      throw new Error(`mariadb-install-db failed: ${(err as Error).message}`, { cause: err });
    }
  }

  async start(): Promise<void> {
    const out = logFile('mariadbd.out');
    const child = spawn(
      this.bins.mariadbd,
      [
        '--no-defaults',
        `--datadir=${this.datadir}`,
        `--socket=${this.socket}`,
        `--port=${this.port}`,
        '--bind-address=127.0.0.1',
        `--pid-file=${path.join(DIR, 'mysqld.pid')}`,
        `--log-error=${path.join(LOGS, 'mariadb.log')}`,
        // mariadbd refuses to run as root unless told to; elsewhere this is the calling user anyway
        `--user=${this.user}`,
        '--innodb-buffer-pool-size=256M',
        '--max-connections=400',
      ],
      { cwd: DIR, stdio: ['ignore', out, out] },
    );
    closeSync(out);
    this.child = adopt(child, 'mariadbd');
    const until = Date.now() + 60_000;
    for (;;) {
      if (hasExited(child)) throw new Error('mariadbd exited at start; see var/drill/logs/mariadb.log');
      if (await portAnswers(this.port)) {
        const db = createDb(this.url(), 1);
        try {
          await db.raw('SELECT 1');
          return;
        } catch {
          // listening but still starting up
        } finally {
          await db.destroy();
        }
      }
      if (Date.now() > until) throw new Error('mariadbd did not accept connections within 60 s');
      await sleep(200);
    }
  }

  /** SIGTERM: the clean shutdown a service manager does on a restart. */
  async stop(): Promise<void> {
    if (this.child) await terminate(this.child, 'SIGTERM', 60_000);
  }
}

export class PrivateRedis {
  private child: ChildProcess | undefined;
  private readonly dir = path.join(DIR, 'redis');

  constructor(
    private readonly bin: string,
    readonly port: number,
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}/0`;
  }

  async start(): Promise<void> {
    mkdirSync(this.dir, { recursive: true });
    const out = logFile('redis.log');
    const child = spawn(
      this.bin,
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--daemonize',
        'no',
        '--dir',
        this.dir,
      ],
      { cwd: this.dir, stdio: ['ignore', out, out] },
    );
    closeSync(out);
    this.child = adopt(child, 'redis-server');
    for (let i = 0; ; i++) {
      if (hasExited(child)) throw new Error('redis-server exited at start; see var/drill/logs/redis.log');
      if (await portAnswers(this.port, { send: 'PING\r\n', expect: '+PONG' })) return;
      if (i > 150) throw new Error('redis-server did not answer within 30 s');
      await sleep(200);
    }
  }

  /** SIGKILL: Redis goes away as in a crash, and keeps nothing (no RDB, no AOF). */
  async kill(): Promise<void> {
    if (this.child) await terminate(this.child, 'SIGKILL');
  }
}

export interface Rig {
  mysql: PrivateMariaDb;
  redis: PrivateRedis;
}
