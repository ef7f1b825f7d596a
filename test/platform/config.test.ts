import assert from 'node:assert/strict';
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
