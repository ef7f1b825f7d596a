import type { Knex } from 'knex';

// Reference data lives in tables, not code: districts change it by notice (domain.md).
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE service_centres (
      code CHAR(2) NOT NULL PRIMARY KEY,
      name VARCHAR(20) NOT NULL,
      status VARCHAR(8) NOT NULL,
      CONSTRAINT service_centres_status CHECK (status IN ('open', 'planned'))
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
  await knex.raw(`
    CREATE TABLE towns (
      name VARCHAR(20) NOT NULL PRIMARY KEY,
      default_centre CHAR(2) NOT NULL,
      CONSTRAINT towns_centre FOREIGN KEY (default_centre) REFERENCES service_centres (code)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
  await knex.raw(`
    CREATE TABLE banks (
      name VARCHAR(20) NOT NULL PRIMARY KEY,
      sort_order SMALLINT NOT NULL
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
  await knex.raw(`
    CREATE TABLE calendar_days (
      day DATE NOT NULL PRIMARY KEY,
      kind VARCHAR(8) NOT NULL,
      note VARCHAR(40) NOT NULL,
      CONSTRAINT calendar_days_kind CHECK (kind IN ('holiday', 'workday'))
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
  await knex.raw(`
    CREATE TABLE fee_schedule (
      id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
      item VARCHAR(20) NOT NULL,
      amount_fen INT NOT NULL,
      effective_from DATE NOT NULL,
      document_no VARCHAR(60) NOT NULL,
      created_at DATETIME(3) NOT NULL,
      created_by VARCHAR(36) NULL,
      KEY fee_schedule_item_day (item, effective_from),
      CONSTRAINT fee_schedule_item CHECK (item IN ('replacement', 'exchange', 'anonymous_issue')),
      CONSTRAINT fee_schedule_amount CHECK (amount_fen >= 0)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
  await knex.raw(`
    CREATE TABLE functions (
      code VARCHAR(20) NOT NULL PRIMARY KEY,
      name VARCHAR(20) NOT NULL,
      scope VARCHAR(12) NOT NULL,
      card_types VARCHAR(40) NOT NULL,
      availability VARCHAR(8) NOT NULL,
      sort_order SMALLINT NOT NULL,
      CONSTRAINT functions_scope CHECK (scope IN ('nationwide', 'local')),
      CONSTRAINT functions_availability CHECK (availability IN ('open', 'planned'))
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
}

export async function down(knex: Knex): Promise<void> {
  for (const t of ['functions', 'fee_schedule', 'calendar_days', 'banks', 'towns', 'service_centres']) {
    await knex.schema.dropTableIfExists(t);
  }
}
