import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { generateAgeKeyPair, CryptoError } from '../../../src/core/crypto';
import { decryptFile, encryptFile } from '../../../src/core/encryption';
import { LifeboatError } from '../../../src/core/common';
import type { Logger } from '../../../src/core/common';

describe('encryptFile and decryptFile: what is refused before anything is written, and runbook files', () => {
  let root: string;
  let src: string;
  beforeEach(async () => {
    root = await fs.mkdtemp(join(tmpdir(), 'lb-encrypt-refusals-'));
    src = join(root, 'sms_backup_20240102_030405.sql.gz');
    await fs.writeFile(src, gzipSync('-- PostgreSQL database dump\n'));
  });
  afterEach(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  const files = async () => (await fs.readdir(root)).sort();

  it('refuses a folder, a file whose content is already encrypted, and an existing output, writing nothing', async () => {
    const folder = join(root, 'folder.sql.gz');
    await fs.mkdir(folder);
    await assert.rejects(
      encryptFile(folder, { format: 'age', passphrase: 'p', workFactor: 2 }),
      (err: Error) => err instanceof LifeboatError && err.message === `${folder} is not a file.`,
    );
    const age = (await encryptFile(src, { format: 'age', passphrase: 'p', workFactor: 2 })).path;
    const disguised = join(root, 'disguised.sql.gz');
    await fs.copyFile(age, disguised);
    await assert.rejects(
      encryptFile(disguised, { format: 'age', passphrase: 'p', workFactor: 2 }),
      /"disguised\.sql\.gz" is already encrypted \(its content is an encrypted file\)/,
    );
    await assert.rejects(
      encryptFile(src, { format: 'age', passphrase: 'p', workFactor: 2 }),
      /Cannot encrypt "sms_backup_20240102_030405\.sql\.gz": "sms_backup_20240102_030405\.sql\.gz\.age" already exists\./,
    );
    assert.deepEqual(await files(), [
      'disguised.sql.gz',
      'folder.sql.gz',
      'sms_backup_20240102_030405.sql.gz',
      'sms_backup_20240102_030405.sql.gz.age',
      'sms_backup_20240102_030405.sql.gz.age.json',
    ]);
  });

  it('refuses to encrypt without a key, naming the file, for both formats', async () => {
    await assert.rejects(
      encryptFile(src, { format: 'openssl' }),
      (err: Error) =>
        err instanceof CryptoError &&
        err.code === 'bad-key' &&
        /^Cannot encrypt "sms_backup_20240102_030405\.sql\.gz": OpenSSL encryption needs a passphrase$/.test(err.message),
    );
    await assert.rejects(
      encryptFile(src, { format: 'age' }),
      (err: Error) => err instanceof CryptoError && /^Cannot encrypt .*: no passphrase or recipient given$/.test(err.message),
    );
    assert.deepEqual(await files(), ['sms_backup_20240102_030405.sql.gz']);
  });

  it('to recipients without an identity, the result is unproven and says so in the log; the manifest comes from the name', async () => {
    const warnings: string[] = [];
    const logger = { info: () => undefined, warn: (m: string) => warnings.push(m), error: () => undefined } as unknown as Logger;
    const res = await encryptFile(src, { format: 'age', recipients: [generateAgeKeyPair().recipient], logger });
    assert.equal(res.proof, 'unproven');
    assert.match(warnings.join('\n'), /no identity at hand for the recipients, so the round trip could not be checked/);
    assert.equal(res.manifest.kind, 'database');
    assert.equal(res.manifest.createdAt, '2024-01-02T03:04:05.000Z');
    assert.deepEqual(res.manifest.source, { project: 'sms' });
  });

  it('a file with no backup name gets a manifest from its extension and modification time', async () => {
    const odd = join(root, 'hand-made.tar.gz');
    await fs.writeFile(odd, gzipSync('x'));
    const when = new Date(Date.UTC(2023, 4, 5, 6, 7, 8));
    await fs.utimes(odd, when, when);
    const res = await encryptFile(odd, { format: 'age', passphrase: 'p', workFactor: 2 });
    assert.equal(res.manifest.kind, 'config');
    assert.equal(res.manifest.createdAt, when.toISOString());
    assert.deepEqual(res.manifest.source, {});
  });

  it('decrypt refuses a name without .age or .enc before reading it', async () => {
    await assert.rejects(
      decryptFile(src, { key: { passphrase: 'p' } }),
      /Cannot decrypt "sms_backup_20240102_030405\.sql\.gz": its name does not end in \.age or \.enc\./,
    );
  });
});
