import { loadConfig, loadDotEnv } from '../src/config';
import { createDb } from '../src/platform/db';
import { seedReferenceData } from './schema';

async function main(): Promise<void> {
  loadDotEnv();
  const db = createDb(loadConfig().databaseUrl, 2);
  try {
    await seedReferenceData(db);
    console.log('Reference data is in place.');
  } finally {
    await db.destroy();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
