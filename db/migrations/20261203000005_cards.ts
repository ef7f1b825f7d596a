import type { Knex } from 'knex';

// live_named_resident_id holds the resident while a named card is live and NULL otherwise, so the
// unique key allows one live named card per resident. A replacement or exchange card waiting at the
// centre is left out: it takes the slot over from the card it replaces when it is collected.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE cards (
      id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
      card_no CHAR(9) NOT NULL,
      type VARCHAR(8) NOT NULL,
      status VARCHAR(12) NOT NULL,
      resident_id BIGINT UNSIGNED NULL,
      bank VARCHAR(20) NULL,
      application_id BIGINT UNSIGNED NULL,
      replaces_card_id BIGINT UNSIGNED NULL,
      centre_code CHAR(2) NOT NULL,
      produced_at DATETIME(3) NOT NULL,
      valid_until DATE NOT NULL,
      collected_at DATETIME(3) NULL,
      created_at DATETIME(3) NOT NULL,
      updated_at DATETIME(3) NOT NULL,
      live_named_resident_id BIGINT UNSIGNED GENERATED ALWAYS AS (
        CASE WHEN type IN ('B', 'C_NAMED')
          AND (status IN ('active', 'temp_lost') OR (status = 'produced' AND replaces_card_id IS NULL))
        THEN resident_id END) STORED,
      UNIQUE KEY cards_card_no (card_no),
      UNIQUE KEY cards_application (application_id),
      UNIQUE KEY cards_one_live_named (live_named_resident_id),
      KEY cards_resident (resident_id),
      CONSTRAINT cards_resident FOREIGN KEY (resident_id) REFERENCES residents (id),
      CONSTRAINT cards_application FOREIGN KEY (application_id) REFERENCES applications (id),
      CONSTRAINT cards_replaces FOREIGN KEY (replaces_card_id) REFERENCES cards (id),
      CONSTRAINT cards_centre FOREIGN KEY (centre_code) REFERENCES service_centres (code),
      CONSTRAINT cards_bank FOREIGN KEY (bank) REFERENCES banks (name),
      CONSTRAINT cards_type CHECK (type IN ('B', 'C_NAMED', 'C_ANON')),
      CONSTRAINT cards_status
        CHECK (status IN ('produced', 'active', 'temp_lost', 'lost', 'replaced', 'cancelled', 'sealed')),
      CONSTRAINT cards_holder CHECK ((type = 'C_ANON') = (resident_id IS NULL)),
      CONSTRAINT cards_b_has_bank CHECK ((type = 'B') = (bank IS NOT NULL))
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
  await knex.raw(`
    ALTER TABLE applications
      ADD CONSTRAINT applications_replaces FOREIGN KEY (replaces_card_id) REFERENCES cards (id)`);
  await knex.raw(`
    CREATE TABLE card_functions (
      card_id BIGINT UNSIGNED NOT NULL,
      code VARCHAR(20) NOT NULL,
      status VARCHAR(10) NOT NULL,
      updated_at DATETIME(3) NOT NULL,
      PRIMARY KEY (card_id, code),
      CONSTRAINT card_functions_card FOREIGN KEY (card_id) REFERENCES cards (id),
      CONSTRAINT card_functions_function FOREIGN KEY (code) REFERENCES functions (code),
      CONSTRAINT card_functions_status CHECK (status IN ('inactive', 'active', 'suspended'))
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('card_functions');
  await knex.raw('ALTER TABLE applications DROP FOREIGN KEY applications_replaces');
  await knex.schema.dropTableIfExists('cards');
}
