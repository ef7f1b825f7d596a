import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createPiiVault } from '../../src/platform/pii';

describe('PII vault', () => {
  it('when one value is sealed across several IV pools, then every IV differs and every seal opens to the value', () => {
    const vault = createPiiVault(randomBytes(32), randomBytes(32));
    const sealed = Array.from({ length: 2000 }, () => vault.seal('44060619850307123X'));
    const ivs = new Set(sealed.map((s) => s.subarray(1, 13).toString('hex')));
    assert.equal(ivs.size, 2000);
    for (const s of sealed) assert.equal(vault.open(s), '44060619850307123X');
    // a tampered value does not open
    const tampered = Buffer.from(sealed[0]!);
    tampered[tampered.length - 1]! ^= 1;
    assert.throws(() => vault.open(tampered));
  });
});
