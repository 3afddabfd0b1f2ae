import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { decryptStream, openBackupSource } from '../../../src/core/encryption';
import { AgeDecrypt, AgeEncrypt, OpensslEncrypt, generateAgeKeyPair, CryptoError } from '../../../src/core/crypto';
import { CancelledError } from '../../../src/core/common';
import { mustRun } from './streamHelpers';

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe('openBackupSource for an age file opened with an identity', () => {
  const keys = generateAgeKeyPair();
  const plain = gzipSync('-- PostgreSQL database dump\n');
  let dir: string;
  let file: string;
  before(async () => {
    dir = await fs.mkdtemp(join(tmpdir(), 'lb-encsource-'));
    file = join(dir, 'sms_backup_20260101_000000.sql.gz.age');
    await fs.writeFile(file, await mustRun(new AgeEncrypt({ recipients: [keys.recipient] }), plain));
  });
  after(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('tells the key provider the key worked, and reads the plaintext again from the remembered file key', async () => {
    let opened = 0;
    const source = await openBackupSource(file, {
      keys: { key: async () => ({ identities: [keys.identity] }), opened: () => void opened++ },
    });
    assert.equal(opened, 1);
    assert.equal(source.encryption, 'age');
    assert.deepEqual(await readAll(source.open()), plain);
    assert.deepEqual(await readAll(source.open()), plain, 'a second read');
    source.close();
  });

  it('a wrong identity is asked for again, then refused with the file named', async () => {
    const other = generateAgeKeyPair();
    let asked = 0;
    await assert.rejects(
      openBackupSource(file, { keys: { key: async () => (asked++, { identities: [other.identity] }) } }),
      (err: Error) => err instanceof CryptoError && err.message.startsWith('"sms_backup_20260101_000000.sql.gz.age"'),
    );
    assert.ok(asked > 1, `asked ${asked} times`);
  });

  it('no key given is a cancel; a cancelled signal stops before any key is asked for', async () => {
    await assert.rejects(openBackupSource(file, { keys: { key: async () => undefined } }), CancelledError);
    const ac = new AbortController();
    ac.abort();
    let asked = 0;
    await assert.rejects(
      openBackupSource(file, { signal: ac.signal, keys: { key: async () => (asked++, { identities: [keys.identity] }) } }),
      CancelledError,
    );
    assert.equal(asked, 0);
  });
  it('a file key the provider remembered opens the file without the identity', async () => {
    let fileKey: Buffer | undefined;
    await mustRun(new AgeDecrypt({ identities: [keys.identity], onFileKey: (k) => (fileKey = k) }), await fs.readFile(file));
    const source = await openBackupSource(file, { keys: { key: async () => ({ fileKey: fileKey! }) } });
    assert.deepEqual(await readAll(source.open()), plain);
    source.close();
  });

  it('an OpenSSL file offered an age identity is refused as the wrong kind of key, with the file named', async () => {
    const enc = join(dir, 'sms_backup_20260101_000000.sql.gz.enc');
    await fs.writeFile(enc, await mustRun(new OpensslEncrypt({ passphrase: 'p' }), plain));
    await assert.rejects(openBackupSource(enc, { keys: { key: async () => ({ identities: [keys.identity] }) } }), (err: Error) => {
      assert.ok(err instanceof CryptoError, String(err));
      assert.equal(err.code, 'bad-key');
      assert.equal(err.message, '"sms_backup_20260101_000000.sql.gz.enc": OpenSSL files open with a passphrase, not with an age identity');
      return true;
    });
  });
  it('a cancel while the key given is tried is a cancel, and the key is not called wrong', async () => {
    const ac = new AbortController();
    let asked = 0;
    await assert.rejects(
      openBackupSource(file, {
        signal: ac.signal,
        keys: {
          key: async (_f, _i, failed) => {
            asked++;
            if (failed) throw failed;
            ac.abort();
            return { identities: [keys.identity] };
          },
        },
      }),
      CancelledError,
    );
    assert.equal(asked, 1);
  });

  it('decryptStream opens an age file with a remembered file key', async () => {
    let fileKey: Buffer | undefined;
    await mustRun(new AgeDecrypt({ identities: [keys.identity], onFileKey: (k) => (fileKey = k) }), await fs.readFile(file));
    assert.deepEqual(await readAll(await decryptStream(file, { fileKey: fileKey! })), plain);
  });
});
