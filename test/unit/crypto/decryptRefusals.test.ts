import * as assert from 'node:assert/strict';
import { existsSync, promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { generateAgeKeyPair, CryptoError } from '../../../src/core/crypto';
import { decryptFile, encryptFile } from '../../../src/core/encryption';
import { LifeboatError } from '../../../src/core/common';

const NAME = 'sms_backup_20240102_030405.sql.gz';

describe('decryptFile: refusals before and after decrypting (issue 13)', () => {
  let root: string;
  let src: string;
  beforeEach(async () => {
    root = await fs.mkdtemp(join(tmpdir(), 'lb-decrypt-refusals-'));
    src = join(root, NAME);
    await fs.writeFile(src, gzipSync('-- PostgreSQL database dump\n'));
  });
  afterEach(() => fs.rm(root, { recursive: true, force: true }));

  const files = async () => (await fs.readdir(root)).sort();

  it('a missing .age file is an error naming the file', async () => {
    await assert.rejects(decryptFile(join(root, `${NAME}.age`), { key: { passphrase: 'p' } }), (err: unknown) => {
      assert.ok(err instanceof LifeboatError);
      assert.match(err.message, new RegExp(`^Cannot read \\(.*${NAME}\\.age\\): ENOENT`));
      return true;
    });
  });

  it('a plain file named .age is refused as not encrypted, named, with the formats Lifeboat reads', async () => {
    const fake = join(root, `${NAME}.age`);
    await fs.copyFile(src, fake);
    await assert.rejects(decryptFile(fake, { key: { passphrase: 'p' } }), (err: unknown) => {
      assert.ok(err instanceof CryptoError);
      assert.equal(err.code, 'not-encrypted');
      assert.match(err.message, new RegExp(`^Cannot decrypt "${NAME}\\.age": "${NAME}\\.age" is not an encrypted backup`));
      assert.match(err.hint ?? '', /age files and files written by `openssl enc -aes-256-cbc`/);
      return true;
    });
    assert.deepEqual(await files(), [NAME, `${NAME}.age`]);
  });

  it('an OpenSSL file given an age identity is refused as the wrong kind of key, before anything is written', async () => {
    const enc = (await encryptFile(src, { format: 'openssl', passphrase: 'correct horse' })).path;
    await fs.rm(src);
    await assert.rejects(decryptFile(enc, { key: { identities: [generateAgeKeyPair().identity] } }), (err: unknown) => {
      assert.ok(err instanceof CryptoError);
      assert.equal(err.code, 'bad-key');
      assert.equal(err.message, `Cannot decrypt "${NAME}.enc": OpenSSL files open with a passphrase, not with an age identity`);
      return true;
    });
    assert.deepEqual(await files(), [`${NAME}.enc`, `${NAME}.enc.json`]);
  });

  it('an existing plaintext is replaced only when asked to', async () => {
    const age = (await encryptFile(src, { format: 'age', passphrase: 'p', workFactor: 2 })).path;
    await fs.writeFile(src, 'an older copy');
    await assert.rejects(
      decryptFile(age, { key: { passphrase: 'p' } }),
      new RegExp(`^LifeboatError: Cannot decrypt "${NAME}\\.age": "${NAME}" already exists\\.$`),
    );
    assert.equal(await fs.readFile(src, 'utf8'), 'an older copy');
    const res = await decryptFile(age, { key: { passphrase: 'p' }, overwrite: true });
    assert.equal(res.path, src);
    assert.equal(res.checkedAgainstManifest, true);
    assert.match((await fs.readFile(src)).subarray(0, 2).toString('hex'), /^1f8b$/, 'the decrypted gzip replaced the older copy');
  });

  it("an OpenSSL file whose plaintext differs from the manifest's sha256 is refused as tampered; nothing is kept", async () => {
    const enc = (await encryptFile(src, { format: 'openssl', passphrase: 'correct horse' })).path;
    await fs.rm(src);
    const manifestPath = `${enc}.json`;
    const m = JSON.parse(await fs.readFile(manifestPath, 'utf8'));
    m.encryption.plaintextSha256 = '0'.repeat(64);
    await fs.writeFile(manifestPath, JSON.stringify(m));
    await assert.rejects(decryptFile(enc, { key: { passphrase: 'correct horse' } }), (err: unknown) => {
      assert.ok(err instanceof CryptoError);
      assert.equal(err.code, 'tampered');
      assert.match(err.message, /does not match the sha256 its manifest recorded/);
      assert.match(err.hint ?? '', /OpenSSL files carry no integrity check of their own/);
      return true;
    });
    assert.equal(existsSync(src), false);
    assert.deepEqual(await files(), [`${NAME}.enc`, `${NAME}.enc.json`]);
  });
  it("an age file whose plaintext differs from the manifest's sha256 is refused as tampered, without the OpenSSL hint", async () => {
    const id = generateAgeKeyPair();
    const enc = (await encryptFile(src, { format: 'age', recipients: [id.recipient] })).path;
    await fs.rm(src);
    const manifestPath = `${enc}.json`;
    const m = JSON.parse(await fs.readFile(manifestPath, 'utf8'));
    m.encryption.plaintextSha256 = '0'.repeat(64);
    await fs.writeFile(manifestPath, JSON.stringify(m));
    await assert.rejects(decryptFile(enc, { key: { identities: [id.identity] } }), (err: unknown) => {
      assert.ok(err instanceof CryptoError);
      assert.equal(err.code, 'tampered');
      assert.match(err.message, /does not match the sha256 its manifest recorded/);
      assert.equal(err.hint, 'Use another copy of the backup.');
      return true;
    });
    assert.equal(existsSync(src), false);
    assert.deepEqual(await files(), [`${NAME}.age`, `${NAME}.age.json`]);
  });
});
