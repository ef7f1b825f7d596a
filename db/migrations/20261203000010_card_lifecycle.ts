import type { Knex } from 'knex';

// Loss reports, the hotlist terminals page through, and what a suspended function returns to.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE loss_reports (
      id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
      report_id CHAR(36) NOT NULL,
      card_id BIGINT UNSIGNED NOT NULL,
      kind VARCHAR(10) NOT NULL,
      status VARCHAR(10) NOT NULL,
      channel VARCHAR(12) NOT NULL,
      reported_by VARCHAR(36) NOT NULL,
      reported_at DATETIME(3) NOT NULL,
      expires_at DATETIME(3) NULL,
      closed_at DATETIME(3) NULL,
      closed_by VARCHAR(36) NULL,
      open_temporary_card_id BIGINT UNSIGNED GENERATED ALWAYS AS (
        CASE WHEN kind = 'temporary' AND status = 'open' THEN card_id END) STORED,
      UNIQUE KEY loss_reports_report_id (report_id),
      UNIQUE KEY loss_reports_one_open_temporary (open_temporary_card_id),
      KEY loss_reports_card (card_id),
      KEY loss_reports_expiry (status, kind, expires_at),
      CONSTRAINT loss_reports_card FOREIGN KEY (card_id) REFERENCES cards (id),
      CONSTRAINT loss_reports_kind CHECK (kind IN ('temporary', 'formal')),
      CONSTRAINT loss_reports_status CHECK (status IN ('open', 'lifted', 'lapsed', 'superseded', 'final', 'closed'))
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
  // One row holds the last hotlist number; taking its lock hands out numbers in commit order, so a
  // terminal that has read up to N never misses an entry numbered below N that commits later.
  await knex.raw(`
    CREATE TABLE hotlist_counter (
      id TINYINT UNSIGNED NOT NULL PRIMARY KEY,
      last_seq BIGINT UNSIGNED NOT NULL
    ) ENGINE=InnoDB`);
  await knex.raw('INSERT INTO hotlist_counter (id, last_seq) VALUES (1, 0)');
  await knex.raw(`
    CREATE TABLE hotlist (
      seq BIGINT UNSIGNED NOT NULL PRIMARY KEY,
      card_id BIGINT UNSIGNED NOT NULL,
      card_no CHAR(9) NOT NULL,
      usable TINYINT(1) NOT NULL,
      reason VARCHAR(20) NOT NULL,
      at DATETIME(3) NOT NULL,
      KEY hotlist_card (card_id),
      CONSTRAINT hotlist_card FOREIGN KEY (card_id) REFERENCES cards (id)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
  await knex.raw(`
    ALTER TABLE card_functions
      ADD COLUMN resume_status VARCHAR(10) NULL AFTER status,
      ADD CONSTRAINT card_functions_resume CHECK (resume_status IS NULL OR resume_status IN ('inactive', 'active'))`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(
    'ALTER TABLE card_functions DROP CONSTRAINT card_functions_resume, DROP COLUMN resume_status',
  );
  await knex.schema.dropTableIfExists('hotlist');
  await knex.schema.dropTableIfExists('hotlist_counter');
  await knex.schema.dropTableIfExists('loss_reports');
}
