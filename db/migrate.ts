import { loadConfig, loadDotEnv } from '../src/config';
import { createDb } from '../src/platform/db';
import { ensureDatabase, migrate } from './schema';

async function main(): Promise<void> {
  loadDotEnv();
  const config = loadConfig();
  await ensureDatabase(config.databaseUrl);
  const db = createDb(config.databaseUrl, 2);
  try {
    const applied = await migrate(db);
    console.log(applied.length ? `Applied ${applied.length} migration(s).` : 'Schema is up to date.');
  } finally {
    await db.destroy();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
