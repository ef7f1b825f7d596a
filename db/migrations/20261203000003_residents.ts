import type { Knex } from 'knex';

// Identity numbers and phones are sealed (AES-256-GCM) and found by a keyed hash; only masks are
// kept readable. Names use a binary collation so that rare characters such as 𠮷 stay distinct.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE residents (
      id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
      public_id CHAR(36) NOT NULL,
      id_number_hash BINARY(32) NOT NULL,
      id_number_sealed VARBINARY(96) NOT NULL,
      id_number_masked CHAR(18) NOT NULL,
      name VARCHAR(50) NOT NULL,
      gender CHAR(1) NOT NULL,
      birth_date DATE NOT NULL,
      ethnicity VARCHAR(20) NULL,
      phone_sealed VARBINARY(96) NULL,
      phone_masked VARCHAR(16) NULL,
      address VARCHAR(200) NULL,
      town VARCHAR(20) NULL,
      community VARCHAR(50) NULL,
      guardian_name VARCHAR(50) NULL,
      guardian_id_hash BINARY(32) NULL,
      guardian_id_sealed VARBINARY(96) NULL,
      guardian_id_masked CHAR(18) NULL,
      guardian_relation VARCHAR(20) NULL,
      created_at DATETIME(3) NOT NULL,
      updated_at DATETIME(3) NOT NULL,
      UNIQUE KEY residents_public_id (public_id),
      UNIQUE KEY residents_id_number_hash (id_number_hash),
      CONSTRAINT residents_gender CHECK (gender IN ('M', 'F'))
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('residents');
}
