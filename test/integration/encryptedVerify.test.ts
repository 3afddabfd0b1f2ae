import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';
import { encryptFile } from '../../src/core/encryption';
import type { KeyProvider } from '../../src/core/encryption';
import { CryptoError } from '../../src/core/crypto';
import { backupDatabase, restoreDatabase } from '../../src/core/database';
import { CancelledError } from '../../src/core/common';
import type { Stack } from '../../src/core/stack';
import { readManifest } from '../../src/core/store';
import { verifyBackup } from '../../src/core/verify';
import { databases, demoStack, docker, rowCounts, tempDir } from './harness';

/*
 * Encrypted backups verify and restore straight from their decryption: quick and full verify
 * of .age and .enc files, damage found, a wrong passphrase refused without recording anything,
 * and a restore dry run that leaves no plaintext on disk. Runs on the demo stack: under
 * /tmp/lifeboat-stack.lock.
 */
const PASSPHRASE = 'encrypted-verify test passphrase';
const FAST_AGE = { workFactor: 10 };

/** Gives `passphrase`; a wrong one is not asked again (the error goes to the caller). */
function keys(passphrase: string, asked: { n: number } = { n: 0 }): KeyProvider {
  return {
    key: async (_file, _info, failed) => {
      if (failed) throw failed;
      asked.n++;
      return { passphrase };
    },
  };
}

async function listing(dir: string): Promise<string[]> {
  return (await fs.readdir(dir)).sort();
}

/** A copy of an encrypted backup (and its manifest) under another backup name, with `edit` applied. */
async function variant(src: string, time: string, edit: (b: Buffer) => Buffer): Promise<string> {
  const dest = join(dirname(src), basename(src).replace(/_\d{8}_\d{6}\./, `_${time}.`));
  await fs.writeFile(dest, edit(await fs.readFile(src)), { mode: 0o600 });
  await fs.copyFile(`${src}.json`, `${dest}.json`);
  return dest;
}

describe('encrypted backups verify and restore without a decrypted copy', function () {
  this.timeout(240_000);
  let stack: Stack;
  let dir: string;
  let plain: string;
  let age: string;
  let enc: string;

  before(async () => {
    stack = await demoStack();
    dir = await tempDir('encverify');
    plain = (await backupDatabase(docker, stack, { backupDir: dir })).path;
    age = (await encryptFile(plain, { format: 'age', passphrase: PASSPHRASE, ...FAST_AGE })).path;
    enc = (await encryptFile(plain, { format: 'openssl', passphrase: PASSPHRASE, removePlaintext: true })).path;
  });

  after(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  for (const format of ['age', 'openssl'] as const) {
    it(`${format}: quick verify decrypts on the fly, checks the plaintext's sha256 and records the result`, async () => {
      const file = format === 'age' ? age : enc;
      const asked = { n: 0 };
      const r = await verifyBackup(file, { depth: 'quick', keys: keys(PASSPHRASE, asked) });
      assert.equal(r.ok, true, r.problem);
      assert.equal(asked.n, 1);
      assert.ok(
        r.checks.some((c) => c.startsWith(`decrypts (${format}`)),
        r.checks.join('; '),
      );
      assert.ok(r.checks.includes('sha256 of the decrypted content matches the manifest'), r.checks.join('; '));
      assert.ok(r.checks.some((c) => /complete pg_dump script/.test(c)));
      const { manifest } = await readManifest(file);
      assert.equal(manifest?.verifications.at(-1)?.ok, true);
      assert.equal(manifest?.encryption?.format, format);
    });
  }

  it('quick verify without a key is refused and records nothing', async () => {
    const before = (await readManifest(age)).manifest?.verifications.length;
    await assert.rejects(
      verifyBackup(age, { depth: 'quick' }),
      (err: Error) => err instanceof CryptoError && /no key was given/.test(err.message),
    );
    assert.equal((await readManifest(age)).manifest?.verifications.length, before);
  });

  for (const format of ['age', 'openssl'] as const) {
    it(`${format}: a wrong passphrase is a clear error; nothing recorded, nothing written`, async () => {
      const file = format === 'age' ? age : enc;
      const manifestBefore = await fs.readFile(`${file}.json`, 'utf8');
      const before = await listing(dirname(file));
      await assert.rejects(verifyBackup(file, { depth: 'quick', keys: keys('not the passphrase') }), (err: Error) => {
        assert.ok(err instanceof CryptoError, String(err));
        assert.equal(err.code, 'wrong-key');
        assert.match(err.message, new RegExp(`^"${basename(file).replace(/\./g, '\\.')}": wrong passphrase`));
        assert.ok(!err.message.includes('not the passphrase'));
        return true;
      });
      assert.equal(await fs.readFile(`${file}.json`, 'utf8'), manifestBefore);
      assert.deepEqual(await listing(dirname(file)), before);
    });
  }

  it('a cancel while reading the decryption, or a dismissed passphrase question, records nothing', async () => {
    const manifestBefore = await fs.readFile(`${age}.json`, 'utf8');
    const ac = new AbortController();
    await assert.rejects(
      verifyBackup(age, {
        depth: 'quick',
        keys: keys(PASSPHRASE),
        signal: ac.signal,
        progress: (u) => {
          if ((u.bytes ?? 0) > 0) ac.abort();
        },
      }),
      (err: Error) => err instanceof CancelledError,
    );
    await assert.rejects(
      verifyBackup(age, { depth: 'quick', keys: { key: async () => undefined } }),
      (err: Error) => err instanceof CancelledError,
    );
    assert.equal(await fs.readFile(`${age}.json`, 'utf8'), manifestBefore);
  });

  for (const format of ['age', 'openssl'] as const) {
    it(`${format}: a flipped byte fails verification and the failure is recorded`, async () => {
      const bad = await variant(format === 'age' ? age : enc, format === 'age' ? '20260201_000000' : '20260202_000000', (b) => {
        b[Math.floor(b.length / 2)] ^= 0x04;
        return b;
      });
      const r = await verifyBackup(bad, { depth: 'quick', keys: keys(PASSPHRASE) });
      assert.equal(r.ok, false);
      assert.match(
        r.problem ?? '',
        format === 'age' ? /authentication failed/ : /corrupt|does not match its manifest|truncated|not a pg_dump/,
      );
      assert.equal((await readManifest(bad)).manifest?.verifications.at(-1)?.ok, false);
    });

    it(`${format}: a truncated file fails verification`, async () => {
      const cut = await variant(format === 'age' ? age : enc, format === 'age' ? '20260203_000000' : '20260204_000000', (b) =>
        b.subarray(0, Math.floor(b.length * 0.7) & ~0xf),
      );
      const r = await verifyBackup(cut, { depth: 'quick', keys: keys(PASSPHRASE) });
      assert.equal(r.ok, false);
      assert.match(r.problem ?? '', /truncated|authentication failed|does not decrypt|does not match/);
    });
  }

  it('the plaintext sha256 is compared: an intact file whose manifest recorded other content fails', async () => {
    const other = await variant(age, '20260205_000000', (b) => b);
    const m = JSON.parse(await fs.readFile(`${other}.json`, 'utf8'));
    m.encryption.plaintextSha256 = '0'.repeat(64);
    await fs.writeFile(`${other}.json`, JSON.stringify(m));
    const r = await verifyBackup(other, { depth: 'quick', keys: keys(PASSPHRASE) });
    assert.equal(r.ok, false);
    assert.match(r.problem ?? '', /does not match its manifest: its decrypted content/);
  });

  it('full verify of an .age dump: a test restore from the decryption, and the throwaway database is gone', async () => {
    const r = await verifyBackup(age, { depth: 'full', docker, stack, keys: keys(PASSPHRASE) });
    assert.equal(r.ok, true, r.problem);
    assert.ok(
      r.checks.some((c) => /test restore .* rows match/.test(c)),
      r.checks.join('; '),
    );
    assert.deepEqual(
      (await databases('sms-db', 'sms_user')).filter((d) => d.includes('_verify_')),
      [],
    );
  });

  it('a .tar.gz.age config archive verifies (gzip and tar whole) through its decryption', async () => {
    await fs.mkdir(join(dir, 'config'), { recursive: true, mode: 0o700 });
    const tar = join(dir, 'config', 'config_20260125_000000.tar.gz');
    const p = pack();
    for (const [name, body] of Object.entries({
      'docker-compose.yml': 'services: {}\n',
      '.env': 'A=1\n',
      'big.txt': 'x'.repeat(300_000),
    })) {
      p.entry({ name, mtime: new Date('2026-01-01T00:00:00Z') }, body);
    }
    p.finalize();
    const chunks: Buffer[] = [];
    for await (const c of p) chunks.push(c as Buffer);
    await fs.writeFile(tar, gzipSync(Buffer.concat(chunks)), { mode: 0o600 });
    const sealed = (await encryptFile(tar, { format: 'age', passphrase: PASSPHRASE, ...FAST_AGE, removePlaintext: true })).path;
    const r = await verifyBackup(sealed, { depth: 'quick', keys: keys(PASSPHRASE) });
    assert.equal(r.ok, true, r.problem);
    assert.ok(
      r.checks.some((c) => /3 entries/.test(c)),
      r.checks.join('; '),
    );
  });

  it('restore dry run from an .age backup: counts proven, declined, and no plaintext in the backup folder or tmp', async () => {
    const folder = dirname(age);
    const before = await listing(folder);
    const tmpBefore = new Set(await fs.readdir(tmpdir()));
    const privateTmp = await tempDir('encrestore-tmp');
    const savedTmp = process.env.TMPDIR;
    process.env.TMPDIR = privateTmp;
    const liveBefore = await rowCounts('sms-db', 'sms_user', 'sms_db');
    const dbsBefore = await databases('sms-db', 'sms_user');
    let seen: { tables: Record<string, number>; during: string[] } | undefined;
    try {
      const r = await restoreDatabase(docker, stack, {
        file: age,
        backupDir: dir,
        keys: keys(PASSPHRASE),
        confirm: async (s) => {
          // The dry run is over and the scratch copy holds the data: the moment a decrypted copy would exist.
          seen = { tables: s.tables, during: await listing(folder) };
          return false;
        },
      });
      assert.equal(r.status, 'declined');
    } finally {
      if (savedTmp === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = savedTmp;
    }
    assert.ok(seen);
    const { manifest } = await readManifest(age);
    assert.deepEqual(seen.tables, manifest?.tables);
    assert.deepEqual(
      seen.during.filter((n) => !n.startsWith('.lifeboat-')),
      before,
      'nothing new in the backup folder during the dry run',
    );
    assert.deepEqual(await listing(folder), before);
    assert.deepEqual(await fs.readdir(privateTmp), [], 'nothing written to TMPDIR');
    const stem = basename(plain).replace(/\.sql\.gz$/, '');
    const newInTmp = (await fs.readdir(tmpdir())).filter((n) => !tmpBefore.has(n) && n.includes(stem));
    assert.deepEqual(newInTmp, []);
    assert.deepEqual(await rowCounts('sms-db', 'sms_user', 'sms_db'), liveBefore, 'the live database is unchanged');
    assert.deepEqual(await databases('sms-db', 'sms_user'), dbsBefore, 'the scratch database was dropped');
    await fs.rm(privateTmp, { recursive: true, force: true });
  });

  it('restore with a wrong passphrase stops before anything is created on the server', async () => {
    const dbsBefore = await databases('sms-db', 'sms_user');
    await assert.rejects(
      restoreDatabase(docker, stack, { file: enc, backupDir: dir, keys: keys('wrong'), confirm: async () => true }),
      (err: Error) => err instanceof CryptoError && err.code === 'wrong-key',
    );
    assert.deepEqual(await databases('sms-db', 'sms_user'), dbsBefore);
  });
});
