import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { generateAgeKeyPair, CryptoError, readKeyFile } from '../../src/core/crypto';
import { decryptFile, decryptStream, encryptFile } from '../../src/core/encryption';
import { CancelledError } from '../../src/core/common';
import { Manifest, writeManifest } from '../../src/core/store';

/*
 * encryptFile / decryptFile on real files (no VS Code, no Docker): both formats round trip,
 * contract 1 in docs/contracts.md on cancel and failure, no plaintext after a wrong key, a tampered
 * OpenSSL file is caught by the manifest's plaintext sha256, the manifest never holds the secret,
 * and the OpenSSL CLI reads what Lifeboat writes.
 */
const run = promisify(execFile);
const PASSPHRASE = 'lifeboat-test correct horse battery staple';
const FAST_AGE = { workFactor: 10 };

async function sha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

describe('encryptFile and decryptFile on real files', function () {
  this.timeout(180_000);
  let dir: string;
  let n = 0;

  /** A dump-like .sql.gz with a Lifeboat manifest, fresh for each test. */
  async function backup(bytes = 300_000): Promise<{ path: string; sha: string; manifest: Manifest }> {
    const sub = join(dir, `t${++n}`, 'database');
    await fs.mkdir(sub, { recursive: true, mode: 0o700 });
    const path = join(sub, `sms_backup_20260101_0${String(n).padStart(5, '0')}.sql.gz`);
    const body = randomBytes(bytes).toString('base64').replace(/.{76}/g, '$&\n');
    const sql = Buffer.from(`-- PostgreSQL database dump\n${body}\n-- PostgreSQL database dump complete\n`);
    const gz = gzipSync(sql);
    await fs.writeFile(path, gz, { mode: 0o600 });
    const sha = createHash('sha256').update(gz).digest('hex');
    const manifest: Manifest = {
      formatVersion: 1,
      kind: 'database',
      createdAt: new Date().toISOString(),
      tool: { name: 'lifeboat', version: 'test' },
      source: { project: 'sms', database: 'sms_db' },
      compression: { format: 'gzip', level: 6 },
      file: { name: path.split('/').pop()!, bytes: gz.length, sha256: sha },
      content: { bytes: sql.length },
      tables: { students: 3 },
      verifications: [{ at: new Date().toISOString(), depth: 'quick', ok: true }],
    };
    await writeManifest(path, manifest);
    return { path, sha, manifest };
  }

  const listing = async (p: string) => (await fs.readdir(join(p, '..'))).sort();

  before(async () => {
    dir = await fs.mkdtemp(join(tmpdir(), 'lifeboat-enc-'));
  });
  after(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  for (const format of ['age', 'openssl'] as const) {
    const ext = format === 'age' ? '.age' : '.enc';

    it(`${format}: passphrase round trip, 0600, manifest with fingerprint and plaintext sha256, no secret`, async () => {
      const { path, sha, manifest: source } = await backup();
      const phases = new Set<string>();
      const enc = await encryptFile(path, { format, passphrase: PASSPHRASE, ...FAST_AGE, progress: (u) => phases.add(u.phase) });
      assert.equal(enc.path, path + ext);
      assert.equal(enc.proof, 'decrypted');
      assert.equal(enc.removedPlaintext, false);
      assert.ok(
        [...phases].some((p) => p.startsWith('Encrypting')),
        [...phases].join(),
      );
      assert.ok(
        [...phases].some((p) => p.startsWith('Checking that')),
        [...phases].join(),
      );
      assert.equal((await fs.stat(enc.path)).mode & 0o777, 0o600);
      assert.deepEqual(await listing(path), [path, path + '.json', enc.path, enc.path + '.json'].map((p) => p.split('/').pop()).sort());

      const text = await fs.readFile(enc.path + '.json', 'utf8');
      assert.ok(!text.includes(PASSPHRASE), 'the passphrase is not in the manifest');
      assert.ok(!text.includes(Buffer.from(PASSPHRASE).toString('hex')) && !text.includes(Buffer.from(PASSPHRASE).toString('base64')));
      const m = JSON.parse(text) as Manifest;
      assert.equal(m.file.name, enc.path.split('/').pop());
      assert.equal(m.file.bytes, (await fs.stat(enc.path)).size);
      assert.equal(m.file.sha256, await sha256(enc.path));
      assert.equal(m.encryption?.format, format);
      assert.equal(m.encryption?.plaintextSha256, sha);
      assert.equal(m.encryption?.keyFingerprint, format === 'age' ? 'scrypt' : 'aes-256-cbc:pbkdf2-sha256:10000');
      assert.deepEqual(m.tables, source.tables);
      assert.equal(m.verifications.length, 1);

      await fs.rm(path);
      await fs.rm(path + '.json');
      const dec = await decryptFile(enc.path, { key: { passphrase: PASSPHRASE } });
      assert.equal(dec.path, path);
      assert.equal(dec.checkedAgainstManifest, true);
      assert.equal(await sha256(path), sha);
      assert.equal((await fs.stat(path)).mode & 0o777, 0o600);
      const back = JSON.parse(await fs.readFile(path + '.json', 'utf8')) as Manifest;
      assert.equal(back.file.sha256, sha);
      assert.equal(back.encryption, undefined);
      assert.ok(!(await listing(path)).some((f) => f.includes('partial')));
    });

    it(`${format}: a wrong passphrase says so and leaves no plaintext`, async () => {
      const { path } = await backup();
      const enc = await encryptFile(path, { format, passphrase: PASSPHRASE, ...FAST_AGE, removePlaintext: true });
      assert.equal(enc.removedPlaintext, true);
      await assert.rejects(fs.access(path));
      await assert.rejects(fs.access(path + '.json'));
      const before = await listing(enc.path);
      await assert.rejects(decryptFile(enc.path, { key: { passphrase: 'not the passphrase' } }), (err: Error) => {
        assert.ok(err instanceof CryptoError, String(err));
        assert.equal(err.code, 'wrong-key');
        assert.match(err.message, /^Cannot decrypt "sms_backup_\S+\.sql\.gz\.(age|enc)": wrong passphrase/);
        assert.ok(!err.message.includes('not the passphrase') && !(err.hint ?? '').includes('not the passphrase'));
        return true;
      });
      assert.deepEqual(await listing(enc.path), before);
    });

    it(`${format}: a cancel while encrypting leaves no partial and no output; the source is untouched`, async () => {
      const { path, sha } = await backup(4_000_000);
      const ac = new AbortController();
      const p = encryptFile(path, {
        format,
        passphrase: PASSPHRASE,
        ...FAST_AGE,
        signal: ac.signal,
        progress: (u) => {
          if ((u.bytes ?? 0) > 64 * 1024) ac.abort();
        },
      });
      await assert.rejects(p, (err) => err instanceof CancelledError);
      assert.deepEqual(await listing(path), [path, path + '.json'].map((x) => x.split('/').pop()).sort());
      assert.equal(await sha256(path), sha);
    });

    it(`${format}: a cancel while decrypting leaves no partial and no plaintext`, async () => {
      const { path } = await backup(4_000_000);
      const enc = await encryptFile(path, { format, passphrase: PASSPHRASE, ...FAST_AGE, removePlaintext: true });
      const before = await listing(enc.path);
      const ac = new AbortController();
      const p = decryptFile(enc.path, {
        key: { passphrase: PASSPHRASE },
        signal: ac.signal,
        progress: (u) => {
          if ((u.bytes ?? 0) > 64 * 1024) ac.abort();
        },
      });
      await assert.rejects(p, (err) => err instanceof CancelledError);
      assert.deepEqual(await listing(enc.path), before);
    });

    it(`${format}: decryptStream gives the plaintext without a file on disk`, async () => {
      const { path, sha } = await backup();
      const enc = await encryptFile(path, { format, passphrase: PASSPHRASE, ...FAST_AGE });
      const hash = createHash('sha256');
      await pipeline(await decryptStream(enc.path, { passphrase: PASSPHRASE }), hash);
      assert.equal(hash.digest('hex'), sha);
      // Many wrong keys: CBC padding alone lets one in 256 through (CI caught it once).
      for (let i = 0; i < (format === 'openssl' ? 300 : 3); i++) {
        const wrong = await decryptStream(enc.path, { passphrase: `nope-${i}` });
        await assert.rejects(
          pipeline(wrong, createHash('sha256')),
          (err) => err instanceof CryptoError && err.code === 'wrong-key',
          `wrong passphrase #${i} was not refused`,
        );
      }
    });
  }

  it('age: X25519 recipients, proven with the identity; decrypts with the identity only', async () => {
    const { path, sha } = await backup();
    const a = generateAgeKeyPair();
    const b = generateAgeKeyPair();
    const enc = await encryptFile(path, { format: 'age', recipients: [a.recipient, b.recipient], identities: [b.identity] });
    assert.equal(enc.proof, 'decrypted');
    const text = await fs.readFile(enc.path + '.json', 'utf8');
    assert.ok(!text.includes(a.identity) && !text.includes(b.identity));
    await fs.rm(path);
    assert.equal(
      JSON.parse(text).encryption.keyFingerprint,
      [a.recipient, b.recipient]
        .sort()
        .map((r) => `X25519:${r}`)
        .join(','),
    );
    await assert.rejects(
      decryptFile(enc.path, { key: { passphrase: PASSPHRASE } }),
      (err) => err instanceof CryptoError && err.code === 'wrong-key',
    );
    await assert.rejects(
      decryptFile(enc.path, { key: { identities: [generateAgeKeyPair().identity] } }),
      (err) => err instanceof CryptoError && err.code === 'wrong-key',
    );
    const dec = await decryptFile(enc.path, { key: { identities: [a.identity] } });
    assert.equal(await sha256(dec.path), sha);
    const unproven = await backup();
    assert.equal((await encryptFile(unproven.path, { format: 'age', recipients: [a.recipient] })).proof, 'unproven');
  });

  it('openssl: a tampered .enc is caught by the manifest plaintext sha256 and leaves nothing', async () => {
    const { path } = await backup();
    const enc = await encryptFile(path, { format: 'openssl', passphrase: PASSPHRASE, removePlaintext: true });
    const bytes = await fs.readFile(enc.path);
    // Flip a byte in a middle block: CBC garbles that block and flips one bit of the next; the padding at the end stays valid.
    bytes[16 + 16 * 100 + 3] ^= 0x01;
    await fs.writeFile(enc.path, bytes);
    const before = await listing(enc.path);
    await assert.rejects(decryptFile(enc.path, { key: { passphrase: PASSPHRASE } }), (err: Error) => {
      assert.ok(err instanceof CryptoError);
      assert.equal(err.code, 'tampered');
      assert.match(err.message, /tampered with or is corrupt/);
      return true;
    });
    assert.deepEqual(await listing(enc.path), before);
  });

  it('age: a tampered or truncated .age fails authentication and leaves nothing', async () => {
    const { path } = await backup();
    const enc = await encryptFile(path, { format: 'age', passphrase: PASSPHRASE, ...FAST_AGE, removePlaintext: true });
    const bytes = await fs.readFile(enc.path);
    const flipped = Buffer.from(bytes);
    flipped[flipped.length - 100] ^= 0x01;
    await fs.writeFile(enc.path, flipped);
    const before = await listing(enc.path);
    await assert.rejects(
      decryptFile(enc.path, { key: { passphrase: PASSPHRASE } }),
      (err) => err instanceof CryptoError && err.code === 'tampered',
    );
    // A cut inside the last chunk fails its tag (tampered) or its last-chunk flag (truncated).
    await fs.writeFile(enc.path, bytes.subarray(0, bytes.length - 1000));
    await assert.rejects(
      decryptFile(enc.path, { key: { passphrase: PASSPHRASE } }),
      (err) => err instanceof CryptoError && ['tampered', 'truncated'].includes(err.code),
    );
    assert.deepEqual(await listing(enc.path), before);
  });

  it('refuses to encrypt a file that does not match its manifest checksum, or is encrypted already', async () => {
    const { path } = await backup();
    const bytes = await fs.readFile(path);
    bytes[bytes.length - 20] ^= 0xff;
    await fs.writeFile(path, bytes);
    await assert.rejects(
      encryptFile(path, { format: 'openssl', passphrase: PASSPHRASE }),
      /does not match the sha256 its manifest recorded/,
    );
    assert.ok(!(await listing(path)).some((f) => f.endsWith('.enc') || f.includes('partial')));
    const ok = await backup();
    const enc = await encryptFile(ok.path, { format: 'openssl', passphrase: PASSPHRASE });
    await assert.rejects(encryptFile(enc.path, { format: 'age', passphrase: PASSPHRASE }), /already encrypted/);
    await assert.rejects(encryptFile(ok.path, { format: 'openssl', passphrase: PASSPHRASE }), /already exists/);
  });

  it('decrypt refuses to overwrite an existing plaintext unless told to', async () => {
    const { path, sha } = await backup();
    const enc = await encryptFile(path, { format: 'age', passphrase: PASSPHRASE, ...FAST_AGE });
    await assert.rejects(decryptFile(enc.path, { key: { passphrase: PASSPHRASE } }), /already exists/);
    await fs.writeFile(path, 'something else');
    await decryptFile(enc.path, { key: { passphrase: PASSPHRASE }, overwrite: true });
    assert.equal(await sha256(path), sha);
  });

  it('a runbook file without a manifest gets one when encrypted', async () => {
    const { path, sha } = await backup();
    await fs.rm(path + '.json');
    const enc = await encryptFile(path, { format: 'openssl', passphrase: PASSPHRASE });
    const m = JSON.parse(await fs.readFile(enc.path + '.json', 'utf8')) as Manifest;
    assert.equal(m.kind, 'database');
    assert.equal(m.source.project, 'sms');
    assert.equal(m.encryption?.plaintextSha256, sha);
    assert.deepEqual(m.verifications, []);
  });

  it('openssl interop: `openssl enc -d -aes-256-cbc -pbkdf2 -pass file:KEY` reads what we write with a key file', async () => {
    const { path, sha } = await backup();
    const keyPath = join(dir, 'backup_key');
    await fs.writeFile(keyPath, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
    const enc = await encryptFile(path, { format: 'openssl', passphrase: await readKeyFile(keyPath) });
    const out = join(dir, 'cli-decrypted.sql.gz');
    await run('openssl', ['enc', '-d', '-aes-256-cbc', '-pbkdf2', '-in', enc.path, '-out', out, '-pass', `file:${keyPath}`]);
    assert.equal(await sha256(out), sha);
    // And the runbook's own command (no -pbkdf2: EVP_BytesToKey-SHA-256) decrypts through detection.
    const runbookEnc = join(dir, 't-runbook', 'sms_backup_20260102_020000.sql.gz.enc');
    await fs.mkdir(join(dir, 't-runbook'));
    const key = (await readKeyFile(keyPath)).toString();
    await run('openssl', ['enc', '-aes-256-cbc', '-in', path, '-out', runbookEnc, '-k', key]);
    const dec = await decryptFile(runbookEnc, { key: { passphrase: await readKeyFile(keyPath) } });
    assert.equal(dec.checkedAgainstManifest, false);
    assert.equal(await sha256(dec.path), sha);
  });
});
