import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE payments (
      id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
      payment_no CHAR(16) NOT NULL,
      application_id BIGINT UNSIGNED NULL,
      item VARCHAR(20) NOT NULL,
      amount_fen INT NOT NULL,
      method VARCHAR(10) NOT NULL,
      operator_id VARCHAR(36) NOT NULL,
      centre_code CHAR(2) NOT NULL,
      paid_at DATETIME(3) NOT NULL,
      refunded_at DATETIME(3) NULL,
      refunded_by VARCHAR(36) NULL,
      UNIQUE KEY payments_no (payment_no),
      KEY payments_application (application_id),
      CONSTRAINT payments_application FOREIGN KEY (application_id) REFERENCES applications (id),
      CONSTRAINT payments_centre FOREIGN KEY (centre_code) REFERENCES service_centres (code),
      CONSTRAINT payments_amount CHECK (amount_fen > 0),
      CONSTRAINT payments_method CHECK (method IN ('cash', 'unionpay', 'wechat', 'alipay')),
      CONSTRAINT payments_item CHECK (item IN ('replacement', 'exchange', 'anonymous_issue'))
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('payments');
}
