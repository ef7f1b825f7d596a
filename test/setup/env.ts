// The suite runs against its own database and queue prefix, so it never touches development data.
process.env.NODE_ENV = 'test';
process.env.DATABASE_URL ??= 'mysql://root@127.0.0.1:3306/citizen_card_test';
process.env.REDIS_URL ??= 'redis://127.0.0.1:6379/0';
process.env.QUEUE_PREFIX ??= 'cc-test';
process.env.LOG_LEVEL ??= 'info';
process.env.LOG_FILE ??= 'var/test-logs/suite.log';
process.env.UPLOAD_DIR ??= 'var/test-uploads';
process.env.TRUST_PROXY ??= 'loopback'; // supertest calls come from loopback, as a load balancer's would
