import * as assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, promises as fs } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import * as tar from 'tar-stream';
import { archiveConfig } from '../../src/core/config';
import { safeExtract } from '../../src/core/archive';
import { recordFault, shown } from './faultMatrix';
import { run, tempDir } from './harness';

/**
 * The fault matrix's rows for config archives (no Docker): hostile archives through Restore
 * Config's core (safeExtract, which stages an archive before anything reaches the workspace)
 * and a full disk under Archive Config. What must hold: a clear refusal, nothing written outside
 * the staging folder, the staging folder gone, the archive and the workspace unchanged.
 */
async function sha256(path: string): Promise<string> {
  return createHash('sha256')
    .update(await fs.readFile(path))
    .digest('hex');
}

async function exists(path: string): Promise<boolean> {
  return fs.lstat(path).then(
    () => true,
    () => false,
  );
}

interface Entry {
  name: string;
  type?: 'file' | 'directory' | 'symlink';
  body?: string;
  linkname?: string;
  /** A file of this many zero bytes, streamed: the body of a gzip bomb. */
  zeros?: number;
}

async function tarGz(path: string, entries: Entry[]): Promise<void> {
  const pack = tar.pack();
  const done = pipeline(pack, createGzip({ level: 9 }), createWriteStream(path));
  for (const e of entries) {
    const type = e.type ?? 'file';
    const header = {
      name: e.name,
      type,
      linkname: e.linkname,
      mode: type === 'directory' ? 0o755 : 0o644,
      mtime: new Date('2024-01-01T00:00:00Z'),
    };
    if (e.zeros !== undefined) {
      const size = e.zeros;
      await new Promise<void>((resolve, reject) => {
        const w = pack.entry({ ...header, size }, (err) => (err ? reject(err) : resolve()));
        const block = Buffer.alloc(1 << 20);
        let left = size;
        const more = () => {
          while (left > 0) {
            const n = Math.min(left, block.length);
            left -= n;
            if (!w.write(block.subarray(0, n))) return void w.once('drain', more);
          }
          w.end(Buffer.alloc(0));
        };
        more();
      });
    } else {
      await new Promise<void>((resolve, reject) => {
        if (type === 'file') pack.entry(header, e.body ?? '', (err) => (err ? reject(err) : resolve()));
        else pack.entry(header, (err) => (err ? reject(err) : resolve()));
      });
    }
  }
  pack.finalize();
  await done;
}

describe('config archives: hostile archives through Restore Config, a full disk under Archive Config', function () {
  this.timeout(180_000);
  let dir: string;

  before(async () => {
    dir = await tempDir('cfgfaults');
  });
  after(async () => {
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  const outsideName = `lifeboat-hostile-${randomBytes(4).toString('hex')}`;
  const hostile: {
    fault: string;
    entries: (outside: string) => Entry[];
    escapes: (outside: string, staging: string) => string[];
    refusal: RegExp;
  }[] = [
    {
      fault: 'an entry "../x" that climbs out of the staging folder',
      entries: () => [
        { name: '.env', body: 'A=1\n' },
        { name: `../${outsideName}`, body: 'escaped\n' },
      ],
      escapes: (_o, staging) => [join(staging, '..', outsideName)],
      refusal: /\.\./,
    },
    {
      fault: 'an entry with an absolute path',
      entries: (outside) => [{ name: join(outside, 'abs.txt'), body: 'escaped\n' }],
      escapes: (outside) => [join(outside, 'abs.txt')],
      refusal: /absolute/,
    },
    {
      fault: 'a symbolic link to a folder outside, then a file written through it',
      entries: (outside) => [
        { name: 'l', type: 'symlink', linkname: outside },
        { name: 'l/through.txt', body: 'escaped\n' },
      ],
      escapes: (outside) => [join(outside, 'through.txt')],
      refusal: /link/,
    },
    {
      fault: 'a gzip bomb (300 MiB of zeros in a 300 KB archive, no manifest)',
      entries: () => [
        { name: '.env', body: 'A=1\n' },
        { name: 'bomb.bin', zeros: 300 * 1024 * 1024 },
      ],
      escapes: () => [],
      refusal: /MiB|MB|too large|larger|size/i,
    },
  ];

  hostile.forEach((h, i) => {
    it(`refuses ${h.fault}: nothing outside the staging folder, which is gone; the archive unchanged`, async () => {
      const outside = join(dir, `outside-${i}`);
      await fs.mkdir(outside);
      const archive = join(dir, `config_20260101_00000${i}.tar.gz`);
      await tarGz(archive, h.entries(outside));
      const sum = await sha256(archive);
      const staging = join(dir, `staging-${i}`, 'stage');
      await fs.mkdir(join(dir, `staging-${i}`));

      let saw = '';
      await assert.rejects(safeExtract(archive, { stagingDir: staging }), (err: Error) => {
        saw = shown(err);
        return true;
      });
      const escaped: string[] = [];
      for (const p of h.escapes(outside, staging)) if (await exists(p)) escaped.push(p);
      const stagingLeft = await exists(staging);
      const intact = (await sha256(archive)) === sum && escaped.length === 0;
      const stable = (s: string) => s.split(dir).join('<folder>').split(outsideName).join('<name>');
      recordFault({
        operation: 'config restore',
        fault: h.fault,
        userSees: stable(saw),
        leftOnDisk:
          [...escaped.map((p) => `${stable(p)} (written outside)`), ...(stagingLeft ? ['the staging folder'] : [])].join(', ') ||
          'nothing: the staging folder removed, nothing outside it, the archive unchanged',
        dataLost: !intact,
      });

      assert.deepEqual(escaped, [], 'nothing written outside the staging folder');
      assert.ok(!stagingLeft, 'the staging folder is removed');
      assert.ok(intact, 'the archive is unchanged');
      assert.match(saw, h.refusal);
      assert.doesNotMatch(saw, /^(Error|TypeError|RangeError)\b/);
    });
  });

  describe('on a small file system (needs root to mount tmpfs)', () => {
    let mnt: string;

    beforeEach(async function () {
      if (process.getuid?.() !== 0) this.skip();
      mnt = await tempDir('cfgtmpfs');
      await run('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mnt]);
    });
    afterEach(async () => {
      if (!mnt) return;
      await run('umount', [mnt]).catch(() => undefined);
      await fs.rm(mnt, { recursive: true, force: true });
    });

    it('a full disk while writing the archive: a clear error, no partial, the older archive and the workspace unchanged', async () => {
      const workspace = join(dir, 'workspace');
      await fs.mkdir(workspace, { recursive: true });
      await fs.writeFile(join(workspace, '.env'), 'DATABASE_URL=postgres://x\n');
      await fs.writeFile(join(workspace, 'docker-compose.yml'), 'services: {}\n');
      const backupDir = join(mnt, 'backups');
      const older = await archiveConfig({
        backupDir,
        workspace,
        paths: ['.env', 'docker-compose.yml'],
        now: () => new Date('2026-01-01T00:00:00Z'),
      });
      const olderSum = await sha256(older.path);
      // Random bytes do not compress: the next archive needs about 2 MB on a 1 MB disk.
      await fs.writeFile(join(workspace, 'seed.bin'), randomBytes(2 * 1024 * 1024));
      const workspaceSums = Object.fromEntries(
        await Promise.all(['.env', 'docker-compose.yml', 'seed.bin'].map(async (f) => [f, await sha256(join(workspace, f))])),
      );

      let saw = '';
      await assert.rejects(archiveConfig({ backupDir, workspace, paths: ['.env', 'docker-compose.yml', 'seed.bin'] }), (err: Error) => {
        saw = shown(err);
        return true;
      });
      const left = (await fs.readdir(join(backupDir, 'config'))).sort();
      const expected = [older.path.split('/').pop()!, `${older.path.split('/').pop()!}.json`].sort();
      let intact = (await sha256(older.path)) === olderSum;
      for (const [f, s] of Object.entries(workspaceSums)) intact &&= (await sha256(join(workspace, f))) === s;
      recordFault({
        operation: 'config archive',
        fault: 'a full disk while writing the archive (1 MB tmpfs)',
        userSees: saw
          .split(mnt)
          .join('<tmpfs>')
          .replace(/\d{8}_\d{6}/g, 'YYYYMMDD_HHMMSS'),
        leftOnDisk: left.filter((f) => !expected.includes(f)).join(', ') || 'nothing new: the older archive and its manifest only',
        dataLost: !intact,
      });
      assert.ok(intact, 'the older archive and the workspace are unchanged');
      assert.deepEqual(left, expected, 'no partial, no final-named half file');
      assert.deepEqual(
        (await fs.readdir(backupDir)).filter((f) => f.endsWith('.lock')),
        [],
        'no lock left',
      );
      assert.match(saw, /full \(ENOSPC\)/);
    });

    it("a full disk under Restore Config's staging folder: named as the staging folder's, which is removed; the archive unchanged", async () => {
      const workspace = join(dir, 'workspace-staging');
      await fs.mkdir(workspace, { recursive: true });
      await fs.writeFile(join(workspace, '.env'), 'DATABASE_URL=postgres://x\n');
      // Random bytes: about 2 MB to stage on a 1 MB disk.
      await fs.writeFile(join(workspace, 'seed.bin'), randomBytes(2 * 1024 * 1024));
      const made = await archiveConfig({ backupDir: join(dir, 'backups-staging'), workspace, paths: ['.env', 'seed.bin'] });
      const before = await sha256(made.path);
      const stagingDir = join(mnt, 'staging');
      let saw = '';
      await assert.rejects(safeExtract(made.path, { stagingDir }), (err: Error) => {
        saw = shown(err);
        return true;
      });
      const intact = (await sha256(made.path)) === before;
      recordFault({
        operation: 'config restore',
        fault: 'a full disk under the staging folder while the archive is staged (1 MB tmpfs)',
        userSees: saw
          .split(mnt)
          .join('<tmpfs>')
          .split(dir)
          .join('<folder>')
          .replace(/\d{8}_\d{6}/g, 'YYYYMMDD_HHMMSS'),
        leftOnDisk: (await exists(stagingDir)) ? 'the staging folder' : 'nothing: the staging folder was removed',
        dataLost: !intact,
      });
      assert.ok(intact, 'the archive is unchanged');
      assert.equal(await exists(stagingDir), false, 'the staging folder is gone');
      assert.match(
        saw,
        new RegExp(
          `^The disk holding the staging folder ${stagingDir} is full \\(ENOSPC\\) while extracting "seed\\.bin" of ${made.path.replace(/[.]/g, '\\.')}\\. Nothing was kept: the staging folder was removed\\.`,
        ),
      );
      assert.match(saw, /TMPDIR chooses another/);
    });
  });
});
