import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  AgeDecrypt,
  ageKeyFingerprint,
  ageRecipientOf,
  generateAgeKeyPair,
  parseAgeIdentityFile,
  parseAgeRecipient,
  recipientShortId,
  decodeBase64NoPad,
  encodeBase64NoPad,
  bech32Decode,
  bech32Encode,
  detectEncryptionFormat,
} from '../../../src/core/crypto';
import { createHash } from 'node:crypto';
import { FIXTURES, mustRun, patterned, runTransform } from './streamHelpers';

const fixture = (name: string) => readFileSync(join(FIXTURES, name));
const identityText = fixture('age-identity.txt').toString();

describe('age keys and encodings', () => {
  it('reads the identity file age-keygen wrote, comments and all, and derives its public key', () => {
    const [identity] = parseAgeIdentityFile(identityText);
    const printed = /# public key: (age1\S+)/.exec(identityText)![1];
    assert.equal(identity.recipient, printed);
  });

  it('makes key pairs that age-keygen -y agrees with', function () {
    const { identity, recipient } = generateAgeKeyPair();
    assert.match(identity, /^AGE-SECRET-KEY-1[0-9A-Z]{58}$/);
    assert.match(recipient, /^age1[0-9a-z]{58}$/);
    assert.equal(ageRecipientOf(identity), recipient);
    const fromCli = execFileSync('age-keygen', ['-y'], { input: `${identity}\n` })
      .toString()
      .trim();
    assert.equal(fromCli, recipient);
  });

  it('refuses mixed case, a bad checksum, other kinds of keys, and names no secret in the error', () => {
    const { identity, recipient } = generateAgeKeyPair();
    const typo = identity.slice(0, -1) + (identity.endsWith('Q') ? 'P' : 'Q');
    assert.throws(
      () => parseAgeIdentityFile(`# mine\n\n${typo}\n`),
      (e: Error) => /line 3/.test(e.message) && !e.message.includes(typo),
    );
    assert.throws(() => parseAgeIdentityFile('# only comments\n'), /holds no age identity/);
    assert.throws(() => parseAgeRecipient(recipient.toUpperCase()));
    // Mixed case: upper-case one letter (a digit has no case, and would leave the key valid).
    const at = recipient.slice(4).search(/[a-z]/) + 4;
    assert.throws(() => parseAgeRecipient(recipient.slice(0, at) + recipient[at].toUpperCase() + recipient.slice(at + 1)));
    assert.throws(() => parseAgeRecipient('ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE'));
    // One changed character always breaks a Bech32 checksum; change it to something else than it was.
    const own = ageRecipientOf(identity);
    assert.throws(() => parseAgeRecipient(own.slice(0, -1) + (own.endsWith('q') ? 'p' : 'q')));
    assert.equal(parseAgeIdentityFile(`\r\n  ${identity}  \r\n`).length, 1);
  });

  it('encodes Bech32 like BIP 173 (its valid test vectors) and refuses non-canonical padding', () => {
    for (const valid of ['a12uel5l', 'abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw', '?1ezyfcl']) {
      const decoded = bech32Decode(valid)!;
      assert.ok(decoded, valid);
      assert.equal(bech32Encode(decoded.hrp, decoded.data), valid);
    }
    const data = Buffer.from('00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff', 'hex');
    assert.ok(bech32Decode(bech32Encode('age', data))!.data.equals(data));
    assert.equal(bech32Decode('A12UEL5l'), undefined);
    // BIP 173's invalid vectors: human-readable parts with characters out of range, and a valid
    // checksum over data whose 8-to-5 padding is not zero.
    for (const invalid of ['\x201nwldj5', '\x7f1axkwrx', '\x801eym55h', 'tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3pjxtptv'])
      assert.equal(bech32Decode(invalid), undefined, JSON.stringify(invalid));
  });

  it('base64 without padding, and nothing but the canonical spelling', () => {
    assert.equal(encodeBase64NoPad(Buffer.from('ab')), 'YWI');
    assert.ok(decodeBase64NoPad('YWI')!.equals(Buffer.from('ab')));
    for (const bad of ['YWI=', 'YWJ', 'Y', 'YW-I', 'YW_I', 'YW I']) assert.equal(decodeBase64NoPad(bad), undefined, bad);
    assert.equal(decodeBase64NoPad('')!.length, 0);
  });

  it('fingerprints keys with public data only', () => {
    const a = generateAgeKeyPair();
    const b = generateAgeKeyPair();
    assert.equal(ageKeyFingerprint({ passphrase: 'hunter2' }), 'scrypt');
    const fp = ageKeyFingerprint({ recipients: [b.recipient, a.recipient, a.recipient] });
    assert.equal(
      fp,
      [a.recipient, b.recipient]
        .sort()
        .map((r) => `X25519:${r}`)
        .join(','),
    );
    assert.ok(!fp.includes('AGE-SECRET'));
    assert.equal(recipientShortId(a.recipient), createHash('sha256').update(a.recipient).digest('hex').slice(0, 16));
  });

  it('tells age from OpenSSL from anything else by the first bytes', () => {
    assert.equal(detectEncryptionFormat(fixture('x25519-empty.age')), 'age');
    assert.equal(detectEncryptionFormat(Buffer.from('Salted__abcdefgh')), 'openssl');
    assert.equal(detectEncryptionFormat(Buffer.from([0x1f, 0x8b, 8, 0])), undefined);
  });
});

describe('age files made by the age CLI', () => {
  const identities = parseAgeIdentityFile(identityText);

  it('decrypts an X25519 file with a full chunk and a 1-byte last chunk', async () => {
    const plain = await mustRun(new AgeDecrypt({ identities }), fixture('x25519-65537.age'));
    assert.equal(createHash('sha256').update(plain).digest('hex'), '7517e337adab02c29183ed206e0199b614d739d08700121b3955141584c45e6b');
    assert.ok(plain.equals(patterned(65537)));
  });

  it('decrypts an X25519 file of an empty input', async () => {
    assert.equal((await mustRun(new AgeDecrypt({ identities }), fixture('x25519-empty.age'))).length, 0);
  });

  it('decrypts a passphrase file (scrypt, work factor 18)', async function () {
    this.timeout(60_000);
    const plain = await mustRun(new AgeDecrypt({ passphrase: 'correct horse battery staple' }), fixture('scrypt-hello.age'));
    assert.equal(plain.toString(), 'hello from the age CLI\n');
    const { err } = await runTransform(new AgeDecrypt({ passphrase: 'Correct horse battery staple' }), fixture('scrypt-hello.age'));
    assert.equal(err?.message, 'wrong passphrase or key');
  });

  it('says which key is missing for the CLI file and another identity', async () => {
    const { out, err } = await runTransform(new AgeDecrypt({ identities: [generateAgeKeyPair().identity] }), fixture('x25519-65537.age'));
    assert.equal(err?.message, 'wrong passphrase or key');
    assert.equal(out.length, 0);
  });
});
