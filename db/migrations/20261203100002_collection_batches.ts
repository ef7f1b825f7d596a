import type { Knex } from 'knex';

// One row per uploaded file. The unique key on (authorisation, content hash) is what makes the same
// file uploaded twice under one letter one batch, even when both uploads arrive at once. The file
// itself is on disk, encrypted with its own key, which is kept here sealed with the PII key.
//
// collection_batch_progress.done_rows is the import's checkpoint: it commits with each chunk's rows, so
// a retried job resumes after it. It has a table of its own because every application and rejection a
// chunk inserts takes a shared lock on its batch row (the foreign key): a checkpoint on that row could
// not be moved while the next chunk is already writing.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE collection_batches (
      id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
      public_id CHAR(36) NOT NULL,
      authorisation_id BIGINT UNSIGNED NOT NULL,
      team_id BIGINT UNSIGNED NOT NULL,
      uploaded_by VARCHAR(36) NULL,
      content_hash BINARY(32) NOT NULL,
      file_name VARCHAR(255) NOT NULL,
      file_size BIGINT UNSIGNED NOT NULL,
      file_key_sealed VARBINARY(96) NOT NULL,
      file_deleted_at DATETIME(3) NULL,
      status VARCHAR(12) NOT NULL,
      failure VARCHAR(300) NULL,
      total_rows INT UNSIGNED NULL,
      recoveries SMALLINT UNSIGNED NOT NULL DEFAULT 0,
      created_at DATETIME(3) NOT NULL,
      updated_at DATETIME(3) NOT NULL,
      started_at DATETIME(3) NULL,
      finished_at DATETIME(3) NULL,
      UNIQUE KEY collection_batches_public_id (public_id),
      UNIQUE KEY collection_batches_same_file (authorisation_id, content_hash),
      KEY collection_batches_team (team_id, id),
      KEY collection_batches_status (status, id),
      KEY collection_batches_finished (finished_at),
      CONSTRAINT collection_batches_authorisation
        FOREIGN KEY (authorisation_id) REFERENCES collection_authorisations (id),
      CONSTRAINT collection_batches_team FOREIGN KEY (team_id) REFERENCES collection_teams (id),
      CONSTRAINT collection_batches_status_list
        CHECK (status IN ('queued', 'processing', 'completed', 'failed'))
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
  await knex.raw(`
    CREATE TABLE collection_batch_progress (
      batch_id BIGINT UNSIGNED NOT NULL PRIMARY KEY,
      done_rows INT UNSIGNED NOT NULL DEFAULT 0,
      accepted INT UNSIGNED NOT NULL DEFAULT 0,
      rejected INT UNSIGNED NOT NULL DEFAULT 0,
      by_reason VARCHAR(2000) NOT NULL DEFAULT '{}',
      updated_at DATETIME(3) NOT NULL,
      CONSTRAINT collection_batch_progress_batch FOREIGN KEY (batch_id) REFERENCES collection_batches (id),
      CONSTRAINT collection_batch_progress_counts CHECK (done_rows = accepted + rejected)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('collection_batch_progress');
  await knex.schema.dropTableIfExists('collection_batches');
}
