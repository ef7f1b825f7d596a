import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseEnv } from 'node:util';
import { loadConfig } from '../../src/config';

const EXAMPLE_ENV = parseEnv(readFileSync(path.resolve(__dirname, '..', '..', '.env.example'), 'utf8'));
const REFUSED =
  'Invalid configuration: PII_ENCRYPTION_KEY and PII_HASH_KEY must not be the example values in production';

const freshKey = () => randomBytes(32).toString('hex');

describe('loadConfig', () => {
  it('when NODE_ENV is production with the PII keys of .env.example, then it refuses to load and names the keys', () => {
    assert.equal(
      EXAMPLE_ENV.PII_ENCRYPTION_KEY,
      '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f',
    );
    assert.equal(
      EXAMPLE_ENV.PII_HASH_KEY,
      '1f1e1d1c1b1a191817161514131211100f0e0d0c0b0a09080706050403020100',
    );
    assert.throws(() => loadConfig({ ...EXAMPLE_ENV, NODE_ENV: 'production' }), { message: REFUSED });
    // one example key is enough to refuse, whichever it is and however it is written
    assert.throws(
      () => loadConfig({ ...EXAMPLE_ENV, NODE_ENV: 'production', PII_ENCRYPTION_KEY: freshKey() }),
      { message: REFUSED },
    );
    assert.throws(
      () =>
        loadConfig({
          ...EXAMPLE_ENV,
          NODE_ENV: 'production',
          PII_ENCRYPTION_KEY: EXAMPLE_ENV.PII_ENCRYPTION_KEY!.toUpperCase(),
          PII_HASH_KEY: freshKey(),
        }),
      { message: REFUSED },
    );
    // left out, the keys default to the example values
    assert.throws(() => loadConfig({ NODE_ENV: 'production' }), { message: REFUSED });
  });

  it('when NODE_ENV is production with fresh random 64-hex keys, then it loads them', () => {
    const encryptionKey = freshKey();
    const hashKey = freshKey();
    const config = loadConfig({
      ...EXAMPLE_ENV,
      NODE_ENV: 'production',
      PII_ENCRYPTION_KEY: encryptionKey,
      PII_HASH_KEY: hashKey,
    });
    assert.equal(config.nodeEnv, 'production');
    assert.deepEqual(config.piiEncryptionKey, Buffer.from(encryptionKey, 'hex'));
    assert.deepEqual(config.piiHashKey, Buffer.from(hashKey, 'hex'));
    assert.equal(config.piiEncryptionKey.length, 32);
    assert.equal(config.piiHashKey.length, 32);
  });

  it('when the example keys are used outside production, then they load', () => {
    const config = loadConfig({ ...EXAMPLE_ENV, NODE_ENV: 'development' });
    assert.equal(config.nodeEnv, 'development');
    assert.deepEqual(config.piiEncryptionKey, Buffer.from(EXAMPLE_ENV.PII_ENCRYPTION_KEY!, 'hex'));
  });
});

describe('the test suite’s own settings', () => {
  it('when a development DATABASE_URL and QUEUE_PREFIX are exported, then the suite still uses its own', () => {
    const seen = execFileSync(
      process.execPath,
      [
        '--import',
        'tsx',
        '-e',
        "require('./test/setup/env.ts'); console.log(process.env.DATABASE_URL + ' ' + process.env.QUEUE_PREFIX)",
      ],
      {
        cwd: path.resolve(__dirname, '..', '..'),
        env: {
          ...process.env,
          DATABASE_URL: 'mysql://root@127.0.0.1:3306/citizen_card',
          QUEUE_PREFIX: 'cc',
          // as in a shell where only the development settings are exported
          TEST_DATABASE_URL: undefined,
          TEST_QUEUE_PREFIX: undefined,
        },
        encoding: 'utf8',
      },
    );
    assert.equal(seen.trim(), 'mysql://root@127.0.0.1:3306/citizen_card_test cc-test');
  });
});
