import type { Knex } from 'knex';

// A rejected row keeps only its position, the collector's record number and the reason codes: the
// report must not become a second copy of the personal data it refused.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE collection_batch_rejections (
      batch_id BIGINT UNSIGNED NOT NULL,
      row_no INT UNSIGNED NOT NULL,
      record_no VARCHAR(40) NOT NULL,
      reasons VARCHAR(400) NOT NULL,
      PRIMARY KEY (batch_id, row_no),
      CONSTRAINT collection_batch_rejections_batch FOREIGN KEY (batch_id) REFERENCES collection_batches (id)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('collection_batch_rejections');
}
