import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AgeDecrypt,
  checkAgePrefix,
  generateAgeKeyPair,
  parseAgeRecipient,
  CryptoError,
  readKeyFile,
  OpensslDecrypt,
  OpensslEncrypt,
} from '../../../src/core/crypto';
import { LifeboatError } from '../../../src/core/common';
import { passphraseStrength } from '../../../src/core/encryption';

const badKey = (err: Error) => err instanceof CryptoError && err.code === 'bad-key';

describe('keys and passphrases refused before any data is read', () => {
  it('an empty passphrase, for OpenSSL encryption and decryption, and an empty list of age identities', () => {
    assert.throws(
      () => new OpensslEncrypt({ passphrase: '' }),
      (err: Error) => badKey(err) && /passphrase is empty/.test(err.message),
    );
    assert.throws(
      () => new OpensslDecrypt({ passphrase: Buffer.alloc(0) }),
      (err: Error) => badKey(err) && /passphrase is empty/.test(err.message),
    );
    assert.throws(
      () => new AgeDecrypt({ identities: [] }),
      (err: Error) => badKey(err) && /no age identities given/.test(err.message),
    );
  });

  it('age recipients that are not bech32, too short, of another kind, or in mixed case', () => {
    const { recipient } = generateAgeKeyPair();
    assert.equal(parseAgeRecipient(`  ${recipient}\n`).length, 32);
    for (const text of [
      '',
      'age1',
      '1qqqqqqqq',
      `age1${'q'.repeat(3)}`,
      recipient.replace('age1', 'age1\x7f'),
      recipient.slice(0, -1),
      `${recipient.slice(0, 10).toUpperCase()}${recipient.slice(10)}`,
      generateAgeKeyPair().identity,
    ]) {
      assert.throws(
        () => parseAgeRecipient(text),
        (err: Error) => badKey(err) && (text.length < 10 || !err.message.includes(text)),
        JSON.stringify(text),
      );
    }
  });

  it('an ASCII-armored age file is named as such, not as a foreign file', () => {
    assert.throws(
      () => checkAgePrefix(Buffer.from('-----BEGIN AGE ENC')),
      (err: Error) => err instanceof CryptoError && err.code === 'unsupported' && /ASCII-armored/.test(err.message),
    );
    assert.throws(
      () => checkAgePrefix(Buffer.from('PK\x03\x04')),
      (err: Error) => err instanceof CryptoError && err.code === 'not-encrypted',
    );
  });

  it('a key file that does not exist is named, with how to make one', async () => {
    const path = join(tmpdir(), `lb-no-key-${process.pid}`);
    await fs.rm(path, { force: true });
    await assert.rejects(readKeyFile(path), (err: Error) => {
      assert.ok(err instanceof LifeboatError);
      assert.equal(err.message, `The key file ${path} does not exist.`);
      assert.match(err.hint ?? '', /openssl rand -base64 32/);
      return true;
    });
  });

  it('a one-character passphrase is called weak in the singular', () => {
    assert.match(passphraseStrength('x').reason ?? '', /^It has 1 character; use at least 12/);
    assert.match(passphraseStrength('xy').reason ?? '', /^It has 2 characters;/);
  });
});
