import type { Knex } from 'knex';

// Only a keyed hash of the verification code is kept: it is what tells residents a letter is real, so a
// copy of the table must not be enough to vouch for a forged one. A letter with no rows in
// collection_authorisation_towns and area_all = 1 covers the whole district.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE collection_authorisations (
      id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
      authorisation_no VARCHAR(16) NOT NULL,
      verify_code_hash BINARY(32) NOT NULL,
      team_id BIGINT UNSIGNED NOT NULL,
      area_all TINYINT(1) NOT NULL,
      valid_from DATE NOT NULL,
      valid_until DATE NOT NULL,
      created_by VARCHAR(36) NULL,
      created_at DATETIME(3) NOT NULL,
      revoked_at DATETIME(3) NULL,
      revoked_by VARCHAR(36) NULL,
      UNIQUE KEY collection_authorisations_no (authorisation_no),
      KEY collection_authorisations_team (team_id),
      CONSTRAINT collection_authorisations_team FOREIGN KEY (team_id) REFERENCES collection_teams (id),
      CONSTRAINT collection_authorisations_period CHECK (valid_from <= valid_until),
      CONSTRAINT collection_authorisations_area_all CHECK (area_all IN (0, 1))
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
  await knex.raw(`
    CREATE TABLE collection_authorisation_towns (
      authorisation_id BIGINT UNSIGNED NOT NULL,
      town VARCHAR(20) NOT NULL,
      PRIMARY KEY (authorisation_id, town),
      CONSTRAINT collection_authorisation_towns_authorisation
        FOREIGN KEY (authorisation_id) REFERENCES collection_authorisations (id),
      CONSTRAINT collection_authorisation_towns_town FOREIGN KEY (town) REFERENCES towns (name)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('collection_authorisation_towns');
  await knex.schema.dropTableIfExists('collection_authorisations');
}
