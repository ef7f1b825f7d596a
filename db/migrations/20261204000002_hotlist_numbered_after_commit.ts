import type { Knex } from 'knex';

// Hotlist entries are numbered after they commit instead of under a counter lock held to the end of
// every writer's transaction: that lock made every change of a card's usability, district-wide, commit
// one after another. An entry is written with an id of its own and no number; readers number the
// committed ones (see src/components/cards/hotlist.ts). Entries already numbered keep their numbers.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE hotlist
      DROP PRIMARY KEY,
      ADD COLUMN id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY FIRST,
      MODIFY seq BIGINT UNSIGNED NULL,
      ADD UNIQUE KEY hotlist_seq (seq)`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DELETE FROM hotlist WHERE seq IS NULL');
  await knex.raw(`
    ALTER TABLE hotlist
      DROP INDEX hotlist_seq,
      DROP PRIMARY KEY,
      DROP COLUMN id,
      MODIFY seq BIGINT UNSIGNED NOT NULL,
      ADD PRIMARY KEY (seq)`);
}
