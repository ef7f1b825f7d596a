// The suite runs against its own database and queue prefix, so it never touches development data: it
// drops and recreates its database on every run. The development settings (DATABASE_URL, QUEUE_PREFIX,
// REDIS_URL) are therefore never taken from the environment here, even when they are exported for a
// server in the same shell; the suite's own can be moved with the TEST_ variables.
process.env.NODE_ENV = 'test';
process.env.DATABASE_URL = process.env.TEST_DATABASE_URL || 'mysql://root@127.0.0.1:3306/citizen_card_test';
process.env.REDIS_URL = process.env.TEST_REDIS_URL || 'redis://127.0.0.1:6379/0';
process.env.QUEUE_PREFIX = process.env.TEST_QUEUE_PREFIX || 'cc-test';
process.env.LOG_LEVEL ??= 'info';
process.env.LOG_FILE ??= 'var/test-logs/suite.log';
process.env.UPLOAD_DIR ??= 'var/test-uploads';
process.env.TRUST_PROXY ??= 'loopback'; // supertest calls come from loopback, as a load balancer's would
