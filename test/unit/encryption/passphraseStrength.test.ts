import * as assert from 'node:assert/strict';
import { passphraseStrength } from '../../../src/core/encryption';

describe('passphrase strength', () => {
  it('short passphrases are weak, whatever they contain', () => {
    for (const p of ['abc', 'Tr0ub4dor&3', '']) {
      const s = passphraseStrength(p);
      assert.equal(s.weak, true, p);
      assert.match(s.reason ?? '', /at least 12/);
    }
  });

  it('long but repetitive or sequential passphrases are weak', () => {
    for (const p of ['aaaaaaaaaaaaaaaa', 'abcdefghijklmnop', '123456789012', 'abababababababab', 'password1234']) {
      assert.equal(passphraseStrength(p).weak, true, p);
    }
  });

  it('several unrelated words, or a long mixed string, pass', () => {
    for (const p of [
      'correct horse battery staple',
      'host-test passphrase: tr0ub4dor&3',
      'ui flow: correct horse battery staple',
      'x7$Kp2!qLm9@zR',
    ]) {
      const s = passphraseStrength(p);
      assert.equal(s.weak, false, `${p}: ${s.bits} bits`);
      assert.equal(s.reason, undefined);
    }
  });
});
