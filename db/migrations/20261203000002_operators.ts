import type { Knex } from 'knex';

// Only a hash of each token is kept: a leaked table gives nobody a way in.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE operators (
      id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
      public_id CHAR(36) NOT NULL,
      name VARCHAR(50) NOT NULL,
      role VARCHAR(12) NOT NULL,
      centre_code CHAR(2) NULL,
      team_id BIGINT UNSIGNED NULL,
      token_hash BINARY(32) NOT NULL,
      created_at DATETIME(3) NOT NULL,
      disabled_at DATETIME(3) NULL,
      UNIQUE KEY operators_public_id (public_id),
      UNIQUE KEY operators_token_hash (token_hash),
      CONSTRAINT operators_centre FOREIGN KEY (centre_code) REFERENCES service_centres (code),
      CONSTRAINT operators_role CHECK (role IN ('counter', 'call_center', 'collector', 'admin', 'auditor')),
      CONSTRAINT operators_counter_centre CHECK (role <> 'counter' OR centre_code IS NOT NULL)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('operators');
}
