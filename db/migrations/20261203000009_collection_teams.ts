import type { Knex } from 'knex';

// Collectors are operators who belong to a team; the team exists before its members.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE collection_teams (
      id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
      public_id CHAR(36) NOT NULL,
      name VARCHAR(60) NOT NULL,
      town VARCHAR(20) NOT NULL,
      created_at DATETIME(3) NOT NULL,
      UNIQUE KEY collection_teams_public_id (public_id)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
  await knex.raw(`
    ALTER TABLE operators
      ADD CONSTRAINT operators_team FOREIGN KEY (team_id) REFERENCES collection_teams (id),
      ADD CONSTRAINT operators_collector_team CHECK (role <> 'collector' OR team_id IS NOT NULL)`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(
    'ALTER TABLE operators DROP FOREIGN KEY operators_team, DROP CONSTRAINT operators_collector_team',
  );
  await knex.schema.dropTableIfExists('collection_teams');
}
