import * as assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { decryptFile, encryptFile } from '../../src/core/encryption';
import type { KeyProvider } from '../../src/core/encryption';
import { Manifest, writeManifest } from '../../src/core/store';
import { verifyBackup } from '../../src/core/verify';
import { recordFault, shown } from './faultMatrix';
import { run, tempDir } from './harness';

/**
 * The fault matrix's rows for encrypted backups (no Docker): a wrong passphrase, a truncated
 * and a tampered .age and .enc, each through Decrypt and through quick Verify, and a full disk
 * under Encrypt and Decrypt. What must hold: a clear error or a failed verification, no
 * plaintext or partial file left, and the encrypted file itself unchanged.
 */
const PASSPHRASE = 'fault matrix test passphrase';
const FAST_AGE = { workFactor: 10 };

async function sha256(path: string): Promise<string> {
  return createHash('sha256')
    .update(await fs.readFile(path))
    .digest('hex');
}

async function listing(dir: string): Promise<string[]> {
  return (await fs.readdir(dir)).sort();
}

/** Gives `passphrase` once; a refused one goes back to the caller, as a dismissed question would. */
function keys(passphrase: string): KeyProvider {
  return {
    key: async (_file, _info, failed) => {
      if (failed) throw failed;
      return { passphrase };
    },
  };
}

/** A dump-like .sql.gz of about `bytes` (random, so it does not compress) with a manifest. */
async function backup(dir: string, time: string, bytes: number): Promise<string> {
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, `faults_backup_${time}.sql.gz`);
  const body = randomBytes(bytes).toString('base64').replace(/.{76}/g, '$&\n');
  const sql = Buffer.from(`-- PostgreSQL database dump\n${body}\n-- PostgreSQL database dump complete\n`);
  const gz = gzipSync(sql, { level: 1 });
  await fs.writeFile(path, gz, { mode: 0o600 });
  const manifest: Manifest = {
    formatVersion: 1,
    kind: 'database',
    createdAt: new Date().toISOString(),
    tool: { name: 'lifeboat', version: 'test' },
    source: { project: 'faults', database: 'faults' },
    compression: { format: 'gzip', level: 1 },
    file: { name: basename(path), bytes: gz.length, sha256: createHash('sha256').update(gz).digest('hex') },
    content: { bytes: sql.length },
    verifications: [],
  };
  await writeManifest(path, manifest);
  return path;
}

/** Leftovers in a folder a failed Decrypt or Encrypt must not leave: plaintext or partial files. */
function leftovers(before: string[], after: string[]): string[] {
  return after.filter((f) => !before.includes(f));
}

describe('encrypted backups: wrong passphrase, truncated and tampered files, a full disk', function () {
  this.timeout(120_000);
  let dir: string;

  before(async () => {
    dir = await tempDir('encfaults');
  });
  after(async () => {
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  const damages = [
    { fault: 'a wrong passphrase', edit: (b: Buffer) => b, passphrase: 'not the passphrase' },
    {
      fault: 'a truncated file (cut at 70%)',
      edit: (b: Buffer) => b.subarray(0, Math.floor(b.length * 0.7) & ~0xf),
      passphrase: PASSPHRASE,
    },
    {
      fault: 'a tampered file (one byte flipped in the middle)',
      edit: (b: Buffer) => {
        const c = Buffer.from(b);
        c[Math.floor(c.length / 2)] ^= 0x04;
        return c;
      },
      passphrase: PASSPHRASE,
    },
  ];

  for (const format of ['age', 'openssl'] as const) {
    const ext = format === 'age' ? '.age' : '.enc';
    damages.forEach((d, i) => {
      it(`${format}: ${d.fault} through Decrypt and quick Verify: a clear answer, nothing written, the file unchanged`, async () => {
        const sub = join(dir, `${format}-${i}`);
        const plain = await backup(sub, `20260101_00000${i}`, 200_000);
        const enc = (await encryptFile(plain, { format, passphrase: PASSPHRASE, ...FAST_AGE, removePlaintext: true })).path;
        await fs.writeFile(enc, d.edit(await fs.readFile(enc)));
        const sum = await sha256(enc);
        const before = await listing(sub);

        let decryptSaw = '';
        await assert.rejects(decryptFile(enc, { key: { passphrase: d.passphrase } }), (err: Error) => {
          decryptSaw = shown(err);
          return true;
        });
        const afterDecrypt = leftovers(before, await listing(sub));

        let verifySaw: string;
        try {
          const r = await verifyBackup(enc, { depth: 'quick', keys: keys(d.passphrase) });
          verifySaw = r.ok ? 'OK' : `verification failed (recorded in the manifest): ${r.problem}`;
        } catch (err) {
          verifySaw = `${shown(err)} (nothing recorded)`;
        }
        const afterVerify = leftovers(before, await listing(sub));
        const intact = (await sha256(enc)) === sum;
        const stable = (s: string) => s.split(dirname(enc)).join('<folder>');
        for (const [operation, sees, left] of [
          ['decrypt', decryptSaw, afterDecrypt],
          ['verify (quick)', verifySaw, afterVerify],
        ] as const) {
          recordFault({
            operation: `${operation} of ${ext}`,
            fault: d.fault,
            userSees: stable(sees),
            leftOnDisk: left.length ? left.join(', ') : `nothing new; the ${ext} file unchanged`,
            dataLost: !intact,
          });
        }

        assert.ok(intact, 'the encrypted file is unchanged');
        assert.deepEqual(afterDecrypt, [], 'Decrypt leaves no plaintext or partial');
        assert.deepEqual(afterVerify, [], 'Verify writes nothing but the manifest');
        assert.ok(!decryptSaw.includes(d.passphrase) && !verifySaw.includes(d.passphrase), 'the passphrase is never shown');
        assert.notEqual(verifySaw, 'OK');
        if (i === 0) {
          assert.match(decryptSaw, /wrong passphrase/);
          assert.match(verifySaw, /wrong passphrase.*\(nothing recorded\)$/);
        } else {
          assert.match(decryptSaw, /truncated|tampered|corrupt|cut off|authentication/i);
          assert.match(verifySaw, /^verification failed/);
        }
      });
    });
  }

  describe('on a small file system (needs root to mount tmpfs)', () => {
    let mnt: string;

    beforeEach(async function () {
      if (process.getuid?.() !== 0) this.skip();
      mnt = await tempDir('enctmpfs');
      await run('mount', ['-t', 'tmpfs', '-o', 'size=3m', 'tmpfs', mnt]);
    });
    afterEach(async () => {
      if (!mnt) return;
      await run('umount', [mnt]).catch(() => undefined);
      await fs.rm(mnt, { recursive: true, force: true });
    });

    for (const format of ['age', 'openssl'] as const) {
      it(`${format}: a full disk while encrypting: a clear error, no partial, the backup unchanged`, async () => {
        const sub = join(mnt, 'database');
        const plain = await backup(sub, '20260102_000000', 1_900_000);
        const sum = await sha256(plain);
        const before = await listing(sub);
        let saw = '';
        await assert.rejects(encryptFile(plain, { format, passphrase: PASSPHRASE, ...FAST_AGE }), (err: Error) => {
          saw = shown(err);
          return true;
        });
        const left = leftovers(before, await listing(sub));
        const intact = (await sha256(plain)) === sum;
        recordFault({
          operation: `encrypt to ${format === 'age' ? '.age' : '.enc'}`,
          fault: 'a full disk while writing the encrypted file (3 MB tmpfs)',
          userSees: saw.split(mnt).join('<tmpfs>'),
          leftOnDisk: left.length ? left.join(', ') : 'nothing new; the backup unchanged',
          dataLost: !intact,
        });
        assert.ok(intact);
        assert.deepEqual(left, []);
        assert.match(saw, /full|ENOSPC/);
      });

      it(`${format}: a full disk while decrypting: a clear error, no partial, the encrypted file unchanged`, async () => {
        // Made elsewhere, then copied in: the encrypted file alone fills most of the disk.
        const src = await backup(join(dir, `dec-${format}`), '20260103_000000', 1_900_000);
        const enc = (await encryptFile(src, { format, passphrase: PASSPHRASE, ...FAST_AGE })).path;
        const sub = join(mnt, 'database');
        await fs.mkdir(sub, { mode: 0o700 });
        const target = join(sub, basename(enc));
        await fs.copyFile(enc, target);
        await fs.copyFile(`${enc}.json`, `${target}.json`);
        const sum = await sha256(target);
        const before = await listing(sub);
        let saw = '';
        await assert.rejects(decryptFile(target, { key: { passphrase: PASSPHRASE } }), (err: Error) => {
          saw = shown(err);
          return true;
        });
        const left = leftovers(before, await listing(sub));
        const intact = (await sha256(target)) === sum;
        recordFault({
          operation: `decrypt of ${format === 'age' ? '.age' : '.enc'}`,
          fault: 'a full disk while writing the plaintext (3 MB tmpfs)',
          userSees: saw.split(mnt).join('<tmpfs>'),
          leftOnDisk: left.length ? left.join(', ') : 'nothing new; the encrypted file unchanged',
          dataLost: !intact,
        });
        assert.ok(intact);
        assert.deepEqual(left, []);
        assert.match(saw, /full|ENOSPC/);
      });
    }
  });
});
