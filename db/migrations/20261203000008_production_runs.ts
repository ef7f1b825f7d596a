import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE production_runs (
      id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
      run_id CHAR(36) NOT NULL,
      status VARCHAR(12) NOT NULL,
      centre_code CHAR(2) NULL,
      max_cards INT NULL,
      produced INT NOT NULL DEFAULT 0,
      failure VARCHAR(200) NULL,
      requested_by VARCHAR(36) NULL,
      created_at DATETIME(3) NOT NULL,
      started_at DATETIME(3) NULL,
      finished_at DATETIME(3) NULL,
      UNIQUE KEY production_runs_run_id (run_id),
      CONSTRAINT production_runs_centre FOREIGN KEY (centre_code) REFERENCES service_centres (code),
      CONSTRAINT production_runs_status CHECK (status IN ('queued', 'processing', 'completed', 'failed'))
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('production_runs');
}
