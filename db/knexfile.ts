import path from 'node:path';
import type { Knex } from 'knex';

/** Settings of knex's migrator, shared by the migrate script, the tests and the knex CLI. */
export const migrationSettings: Knex.MigratorConfig = {
  directory: path.join(__dirname, 'migrations'),
  tableName: 'knex_migrations',
  loadExtensions: ['.ts', '.js'],
};
