import assert from 'node:assert/strict';
import { maskIdNumber, maskName, maskPhone } from '../../src/platform/masking';

describe('masks of personal data', () => {
  it('when names, identity numbers and phones are masked, then they read as api.md shows', () => {
    assert.equal(maskName('梁敏'), '梁*');
    assert.equal(maskName('欧阳咏诗'), '欧**诗');
    assert.equal(maskName('王'), '*');
    assert.equal(maskName('𠮷田正'), '𠮷*正');
    assert.equal(maskIdNumber('44060619850307123X'), '440606********123X');
    assert.equal(maskPhone('13812345678'), '138****5678');
    assert.equal(maskPhone('0757-22268868'), '0757-****8868');
  });
});
