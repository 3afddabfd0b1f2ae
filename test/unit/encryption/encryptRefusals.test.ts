import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { generateAgeKeyPair, CryptoError } from '../../../src/core/crypto';
import { decryptFile, encryptFile } from '../../../src/core/encryption';
import { LifeboatError } from '../../../src/core/common';
import { MANIFEST_VERSION, writeManifest } from '../../../src/core/store';
import type { Manifest } from '../../../src/core/store';
import type { Logger } from '../../../src/core/common';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

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
  it('a runbook volume snapshot and a hand-made .sql.gz get their kind and source from the name', async () => {
    const snap = join(root, 'volume_sms_postgres_data_20240102_030405.tar.gz');
    await fs.writeFile(snap, gzipSync('x'));
    const v = await encryptFile(snap, { format: 'age', passphrase: 'p', workFactor: 2 });
    assert.equal(v.manifest.kind, 'volume');
    assert.deepEqual(v.manifest.source, { volume: 'sms_postgres_data' });
    const dump = join(root, 'export.sql.gz');
    await fs.writeFile(dump, gzipSync('-- PostgreSQL database dump\n'));
    const d = await encryptFile(dump, { format: 'age', passphrase: 'p', workFactor: 2 });
    assert.equal(d.manifest.kind, 'database');
    assert.deepEqual(d.manifest.source, {});
  });

  it('refuses a name that already ends in .age or .enc, before reading it', async () => {
    for (const name of ['x.sql.gz.age', 'x.sql.gz.enc']) {
      await assert.rejects(encryptFile(join(root, name), { format: 'age', passphrase: 'p', workFactor: 2 }), (err: Error) => {
        assert.ok(err instanceof LifeboatError);
        assert.equal(err.message, `"${name}" is already encrypted.`);
        assert.equal(err.hint, 'Decrypt it first if you want to encrypt it in another format.');
        return true;
      });
    }
    assert.deepEqual(await files(), ['sms_backup_20240102_030405.sql.gz']);
  });

  describe('with the manifest Lifeboat wrote for the backup', () => {
    const data = () => fs.readFile(src);
    const manifestOf = async (extra: Partial<Manifest> = {}): Promise<Manifest> => ({
      formatVersion: MANIFEST_VERSION,
      kind: 'database',
      createdAt: '2024-01-02T03:04:05.000Z',
      tool: { name: 'lifeboat', version: 'test' },
      source: { project: 'sms', database: 'sms_db' },
      compression: { format: 'gzip', level: 9 },
      file: { name: 'sms_backup_20240102_030405.sql.gz', bytes: (await data()).length, sha256: sha256(await data()) },
      verifications: [],
      ...extra,
    });

    it("keeps the source's record, with a verification history even when the old manifest had none", async () => {
      const m = await manifestOf();
      delete (m as Partial<Manifest>).verifications;
      await writeManifest(src, m);
      const res = await encryptFile(src, { format: 'age', passphrase: 'p', workFactor: 2 });
      assert.equal(res.proof, 'decrypted');
      assert.deepEqual(res.manifest.source, { project: 'sms', database: 'sms_db' });
      assert.deepEqual(res.manifest.compression, { format: 'gzip', level: 9 });
      assert.deepEqual(res.manifest.verifications, []);
      assert.equal(res.manifest.encryption?.plaintextSha256, sha256(await data()));
    });

    it('refuses a backup that no longer matches its manifest, writing nothing', async () => {
      await writeManifest(src, await manifestOf());
      await fs.appendFile(src, 'changed');
      await assert.rejects(encryptFile(src, { format: 'age', passphrase: 'p', workFactor: 2 }), (err: Error) => {
        assert.ok(err instanceof LifeboatError);
        assert.equal(
          err.message,
          'Cannot encrypt "sms_backup_20240102_030405.sql.gz": it does not match the sha256 its manifest recorded, so it changed or is corrupt since it was made. Nothing was written.',
        );
        assert.equal(err.hint, 'Verify the backup, or make a new one and encrypt that.');
        return true;
      });
      assert.deepEqual(await files(), ['sms_backup_20240102_030405.sql.gz', 'sms_backup_20240102_030405.sql.gz.json']);
    });
  });
});
