import type { Knex } from 'knex';

// Partner departments call the service instead of copying data; every call they make is logged.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE partners (
      id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
      public_id CHAR(36) NOT NULL,
      name VARCHAR(60) NOT NULL,
      department VARCHAR(60) NOT NULL,
      scopes VARCHAR(200) NOT NULL,
      key_hash BINARY(32) NOT NULL,
      status VARCHAR(8) NOT NULL,
      created_at DATETIME(3) NOT NULL,
      revoked_at DATETIME(3) NULL,
      UNIQUE KEY partners_public_id (public_id),
      UNIQUE KEY partners_key_hash (key_hash),
      CONSTRAINT partners_status CHECK (status IN ('active', 'revoked'))
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
  await knex.raw(`
    CREATE TABLE access_logs (
      id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
      at DATETIME(3) NOT NULL,
      partner_id BIGINT UNSIGNED NOT NULL,
      endpoint VARCHAR(80) NOT NULL,
      card_no VARCHAR(32) NULL,
      status SMALLINT NOT NULL,
      request_id VARCHAR(100) NULL,
      KEY access_logs_card (card_no, id),
      KEY access_logs_partner (partner_id, id),
      KEY access_logs_at (at),
      CONSTRAINT access_logs_partner FOREIGN KEY (partner_id) REFERENCES partners (id)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('access_logs');
  await knex.schema.dropTableIfExists('partners');
}
