import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gzipSync } from 'node:zlib';
import { CryptoError } from '../../../src/core/crypto';
import { decryptFile, decryptStream, encryptFile } from '../../../src/core/encryption';
import { MANIFEST_VERSION, writeManifest } from '../../../src/core/store';

const NAME = 'sms_backup_20240102_030405.sql.gz';
const PASS = 'correct horse battery staple';
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
/** "Salted__" and the 8-byte salt come before the first ciphertext block. */
const FIRST_BLOCK = 16;

/** Reads a decrypting stream to its end; resolves with the plaintext or rejects with its error. */
async function drain(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  await pipeline(stream, new Writable({ write: (c: Buffer, _e, done) => (chunks.push(c), done()) }));
  return Buffer.concat(chunks);
}

describe('decrypting an OpenSSL file that was damaged after it was written', () => {
  let root: string;
  let plain: Buffer;
  let enc: string;
  beforeEach(async () => {
    root = await fs.mkdtemp(join(tmpdir(), 'lb-decrypt-damage-'));
    const src = join(root, NAME);
    const rows = Array.from({ length: 3000 }, (_, i) => `${i}\tstudent ${i}\tstudent${i}@example.com\n`).join('');
    plain = gzipSync(`-- PostgreSQL database dump\nCOPY public.students (id, name, email) FROM stdin;\n${rows}\\.\n`, { level: 0 });
    await fs.writeFile(src, plain);
    enc = (await encryptFile(src, { format: 'openssl', passphrase: PASS })).path;
    await fs.rm(src);
  });
  afterEach(() => fs.rm(root, { recursive: true, force: true }));

  const flip = async (offset: number, mask = 0x01) => {
    const data = await fs.readFile(enc);
    data[offset < 0 ? data.length + offset : offset] ^= mask;
    await fs.writeFile(enc, data);
  };

  it('a changed byte in the middle reads as tampered, since the plaintext starts right', async () => {
    await flip(Math.floor((await fs.stat(enc)).size / 2));
    await assert.rejects(drain(await decryptStream(enc, { passphrase: PASS })), (err: unknown) => {
      assert.ok(err instanceof CryptoError, String(err));
      assert.equal(err.code, 'tampered');
      return true;
    });
  });

  it('decrypted to a file, a changed byte in the middle is caught by the sha256 the manifest recorded, and nothing is kept', async () => {
    await flip(Math.floor((await fs.stat(enc)).size / 2));
    await assert.rejects(decryptFile(enc, { key: { passphrase: PASS } }), (err: unknown) => {
      assert.ok(err instanceof CryptoError, String(err));
      assert.equal(err.code, 'tampered');
      assert.equal(
        err.message,
        `Cannot decrypt "${NAME}.enc": the decrypted data does not match the sha256 its manifest recorded, so the file was tampered with or is corrupt. Nothing was kept.`,
      );
      assert.match(err.hint ?? '', /^OpenSSL files carry no integrity check of their own; use another copy of the backup\./);
      return true;
    });
    assert.deepEqual((await fs.readdir(root)).sort(), [`${NAME}.enc`, `${NAME}.enc.json`]);
  });

  it('a decrypted file whose manifest cannot be written is kept, says so in the log, and reports no manifest', async () => {
    // A folder that is not empty where the manifest goes: writing it fails even for root.
    await fs.mkdir(join(root, `${NAME}.json`, 'in-the-way'), { recursive: true });
    const warnings: string[] = [];
    const logger = { info: () => undefined, warn: (m: string) => void warnings.push(m), error: () => undefined, tool: () => undefined };
    const res = await decryptFile(enc, { key: { passphrase: PASS }, logger });
    assert.equal(res.manifest, undefined);
    assert.equal(res.checkedAgainstManifest, true);
    assert.equal(sha(await fs.readFile(res.path)), sha(plain));
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], new RegExp(`^Decrypted, but the manifest of ${NAME.replace(/\./g, '\\.')} could not be written: `));
  });

  it('a changed first block reads as a wrong key: garbage from the start is what a wrong passphrase gives', async () => {
    await flip(FIRST_BLOCK);
    await assert.rejects(drain(await decryptStream(enc, { passphrase: PASS })), (err: unknown) => {
      assert.ok(err instanceof CryptoError, String(err));
      assert.equal(err.code, 'wrong-key');
      assert.match(err.hint ?? '', /Check the passphrase or key file, then retry\./);
      return true;
    });
  });

  it('without a recorded sha256 the undamaged file streams its plaintext back', async () => {
    await fs.rm(`${enc}.json`);
    assert.equal(sha(await drain(await decryptStream(enc, { passphrase: PASS }))), sha(plain));
  });

  it('a padding spoilt by a changed byte is said to be the file, not the passphrase, when the manifest knows its sha256', async () => {
    // The byte before the last block flips the last plaintext byte, the padding length, past 16.
    await flip(-17, 0x80);
    await assert.rejects(decryptFile(enc, { key: { passphrase: PASS } }), (err: unknown) => {
      assert.ok(err instanceof CryptoError, String(err));
      assert.equal(err.code, 'tampered');
      assert.equal(
        err.message,
        `Cannot decrypt "${NAME}.enc": the file was changed or is corrupt: its sha256 differs from the one its manifest recorded, so its end does not decrypt`,
      );
      assert.equal(err.hint, 'Nothing was kept. Use another copy of the backup.');
      return true;
    });
    assert.deepEqual((await fs.readdir(root)).sort(), [`${NAME}.enc`, `${NAME}.enc.json`]);
  });

  it('an absurd iteration count in the manifest is refused before any key is derived, naming the file', async () => {
    const m = JSON.parse(await fs.readFile(`${enc}.json`, 'utf8'));
    m.encryption.keyFingerprint = 'aes-256-cbc:pbkdf2-sha256:123456789012345678901234567890';
    await fs.writeFile(`${enc}.json`, JSON.stringify(m));
    const started = Date.now();
    await assert.rejects(decryptStream(enc, { passphrase: PASS }), (err: unknown) => {
      assert.ok(err instanceof CryptoError, String(err));
      assert.equal(err.code, 'unsupported');
      assert.match(
        err.message,
        new RegExp(
          `^Cannot decrypt "${NAME}\\.enc": the PBKDF2 iteration count .* \\(recorded in the manifest as 12345678901234567890…\\) is not an integer`,
        ),
      );
      return true;
    });
    assert.ok(Date.now() - started < 2000);
  });

  it('a runbook file made with `openssl enc -md md5` opens when its manifest records that derivation', async () => {
    const legacy = join(root, `volume_sms_postgres_data_20240102_030405.tar.gz.enc`);
    const input = join(root, 'input');
    await fs.writeFile(input, plain);
    execFileSync('openssl', ['enc', '-aes-256-cbc', '-md', 'md5', '-in', input, '-out', legacy, '-pass', `pass:${PASS}`], {
      stdio: 'ignore',
    });
    await fs.rm(input);
    const ciphertext = await fs.readFile(legacy);
    await writeManifest(legacy, {
      formatVersion: MANIFEST_VERSION,
      kind: 'volume',
      createdAt: '2024-01-02T03:04:05.000Z',
      tool: { name: 'lifeboat', version: 'test' },
      source: { volume: 'sms_postgres_data' },
      compression: { format: 'gzip' },
      file: { name: `volume_sms_postgres_data_20240102_030405.tar.gz.enc`, bytes: ciphertext.length, sha256: sha(ciphertext) },
      encryption: { format: 'openssl', keyFingerprint: 'aes-256-cbc:evp-bytestokey-md5', plaintextSha256: sha(plain) },
      verifications: [],
    });
    const res = await decryptFile(legacy, { key: { passphrase: PASS } });
    assert.equal(res.checkedAgainstManifest, true);
    assert.equal(sha(await fs.readFile(res.path)), sha(plain));
    assert.ok(existsSync(`${res.path}.json`));
  });
});
