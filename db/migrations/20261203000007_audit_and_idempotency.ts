import type { Knex } from 'knex';

// Audit events are append-only: triggers refuse any UPDATE or DELETE, whoever sends it.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE audit_events (
      id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
      at DATETIME(3) NOT NULL,
      action VARCHAR(60) NOT NULL,
      entity_type VARCHAR(24) NOT NULL,
      entity_id VARCHAR(64) NOT NULL,
      actor_operator_id VARCHAR(36) NULL,
      actor_role VARCHAR(12) NULL,
      actor_centre CHAR(2) NULL,
      actor_team VARCHAR(36) NULL,
      channel VARCHAR(12) NOT NULL,
      before_json MEDIUMTEXT NULL,
      after_json MEDIUMTEXT NULL,
      request_id VARCHAR(100) NULL,
      KEY audit_events_entity (entity_type, entity_id, id),
      KEY audit_events_at (at)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
  await knex.raw(`
    CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events FOR EACH ROW
      SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'audit events are append-only'`);
  await knex.raw(`
    CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events FOR EACH ROW
      SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'audit events are append-only'`);
  // A response kept for replay may hold personal data (the counter sees identity numbers), so it is sealed.
  await knex.raw(`
    CREATE TABLE idempotency_keys (
      caller VARCHAR(64) NOT NULL,
      idem_key VARCHAR(100) NOT NULL,
      request_hash BINARY(32) NOT NULL,
      state VARCHAR(8) NOT NULL,
      status_code SMALLINT NULL,
      response_sealed MEDIUMBLOB NULL,
      created_at DATETIME(3) NOT NULL,
      PRIMARY KEY (caller, idem_key),
      KEY idempotency_keys_created (created_at)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('idempotency_keys');
  await knex.raw('DROP TRIGGER IF EXISTS audit_events_no_delete');
  await knex.raw('DROP TRIGGER IF EXISTS audit_events_no_update');
  await knex.schema.dropTableIfExists('audit_events');
}
