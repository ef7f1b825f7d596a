import { createDb, type Db } from '../src/platform/db';
import { migrationSettings } from './knexfile';
import { seed } from './seeds/reference-data';

/** Creates the database when it is missing, so a fresh machine needs no manual step. */
export async function ensureDatabase(databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  const name = url.pathname.replace(/^\//, '');
  if (!/^[A-Za-z0-9_]+$/.test(name)) throw new Error(`Unsupported database name: ${name}`);
  url.pathname = '/';
  const server = createDb(url.toString(), 1);
  try {
    await server.raw(`CREATE DATABASE IF NOT EXISTS \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  } finally {
    await server.destroy();
  }
}

export async function migrate(db: Db): Promise<string[]> {
  const [, applied] = (await db.migrate.latest(migrationSettings)) as [number, string[]];
  return applied;
}

export async function seedReferenceData(db: Db): Promise<void> {
  await seed(db);
}
