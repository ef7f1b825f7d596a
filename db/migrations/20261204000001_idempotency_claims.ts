import type { Knex } from 'knex';

// A claim on an Idempotency-Key names the request that holds it (owner) and when it took it
// (claimed_at), so a retry can take over a claim whose request died and the request it overtook can
// tell, in its own transaction, that it no longer holds the key. State `applied` means the request's
// transaction committed and its response is still to be kept.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE idempotency_keys
      ADD COLUMN owner BINARY(16) NULL,
      ADD COLUMN claimed_at DATETIME(3) NULL`);
  await knex.raw('UPDATE idempotency_keys SET claimed_at = created_at');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE idempotency_keys DROP COLUMN claimed_at, DROP COLUMN owner');
}
