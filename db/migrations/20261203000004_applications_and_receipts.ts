import type { Knex } from 'knex';

// open_named_resident_id is the resident while any of their applications is open (first, reissue,
// replacement or exchange) and NULL otherwise; its unique key is what stops twenty counters giving
// one resident two named cards. open_replacement_of allows one open replacement or exchange a card.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE applications (
      id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
      application_no CHAR(20) NOT NULL,
      resident_id BIGINT UNSIGNED NOT NULL,
      card_type VARCHAR(8) NOT NULL,
      bank VARCHAR(20) NULL,
      reason VARCHAR(12) NOT NULL,
      status VARCHAR(16) NOT NULL,
      centre_code CHAR(2) NOT NULL,
      channel VARCHAR(12) NOT NULL,
      fee_item VARCHAR(20) NULL,
      fee_amount_fen INT NOT NULL DEFAULT 0,
      waiver_reason VARCHAR(200) NULL,
      waiver_approved_by VARCHAR(36) NULL,
      exchange_reason VARCHAR(16) NULL,
      replaces_card_id BIGINT UNSIGNED NULL,
      applied_on DATE NOT NULL,
      created_by VARCHAR(36) NULL,
      created_at DATETIME(3) NOT NULL,
      updated_at DATETIME(3) NOT NULL,
      ready_at DATETIME(3) NULL,
      collected_at DATETIME(3) NULL,
      collected_by_operator VARCHAR(36) NULL,
      pickup_agent_name VARCHAR(50) NULL,
      pickup_agent_id_masked CHAR(18) NULL,
      pickup_agent_id_sealed VARBINARY(96) NULL,
      pickup_agent_relation VARCHAR(20) NULL,
      cancelled_at DATETIME(3) NULL,
      open_named_resident_id BIGINT UNSIGNED GENERATED ALWAYS AS (
        CASE WHEN status IN ('submitted', 'in_production', 'ready') THEN resident_id END) STORED,
      open_replacement_of BIGINT UNSIGNED GENERATED ALWAYS AS (
        CASE WHEN status IN ('submitted', 'in_production', 'ready') THEN replaces_card_id END) STORED,
      UNIQUE KEY applications_no (application_no),
      UNIQUE KEY applications_one_open_named (open_named_resident_id),
      UNIQUE KEY applications_one_open_replacement (open_replacement_of),
      KEY applications_resident (resident_id),
      KEY applications_status_centre (status, centre_code, id),
      CONSTRAINT applications_resident FOREIGN KEY (resident_id) REFERENCES residents (id),
      CONSTRAINT applications_centre FOREIGN KEY (centre_code) REFERENCES service_centres (code),
      CONSTRAINT applications_bank FOREIGN KEY (bank) REFERENCES banks (name),
      CONSTRAINT applications_card_type CHECK (card_type IN ('B', 'C_NAMED')),
      CONSTRAINT applications_b_has_bank CHECK ((card_type = 'B') = (bank IS NOT NULL)),
      CONSTRAINT applications_reason CHECK (reason IN ('first', 'reissue', 'replacement', 'exchange')),
      CONSTRAINT applications_status
        CHECK (status IN ('submitted', 'in_production', 'ready', 'collected', 'cancelled', 'sealed')),
      CONSTRAINT applications_fee CHECK (fee_amount_fen >= 0),
      CONSTRAINT applications_first_is_free CHECK (reason <> 'first' OR fee_amount_fen = 0)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
  await knex.raw(`
    CREATE TABLE receipts (
      receipt_no CHAR(12) NOT NULL PRIMARY KEY,
      application_id BIGINT UNSIGNED NOT NULL,
      centre_code CHAR(2) NOT NULL,
      expected_ready_date DATE NOT NULL,
      deadline DATE NOT NULL,
      created_at DATETIME(3) NOT NULL,
      UNIQUE KEY receipts_application (application_id),
      CONSTRAINT receipts_application FOREIGN KEY (application_id) REFERENCES applications (id),
      CONSTRAINT receipts_centre FOREIGN KEY (centre_code) REFERENCES service_centres (code)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('receipts');
  await knex.schema.dropTableIfExists('applications');
}
