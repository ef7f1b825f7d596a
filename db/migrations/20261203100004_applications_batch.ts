import type { Knex } from 'knex';

// An application made by a collection batch names the batch and the file row it came from. The unique
// key means a row can never make two applications, however often an import is retried.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE applications
      ADD COLUMN batch_id BIGINT UNSIGNED NULL,
      ADD COLUMN batch_row INT UNSIGNED NULL,
      ADD UNIQUE KEY applications_batch_row (batch_id, batch_row),
      ADD CONSTRAINT applications_batch FOREIGN KEY (batch_id) REFERENCES collection_batches (id),
      ADD CONSTRAINT applications_batch_has_row CHECK ((batch_id IS NULL) = (batch_row IS NULL))`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE applications
      DROP FOREIGN KEY applications_batch,
      DROP CONSTRAINT applications_batch_has_row,
      DROP INDEX applications_batch_row,
      DROP COLUMN batch_row,
      DROP COLUMN batch_id`);
}
