import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { MANIFEST_VERSION, writeManifest } from '../../src/core/store';
import { existsSync } from 'node:fs';
import { FolderDestination, copyOffsite, fetchOffsite } from '../../src/core/offsite';
import { recordFault, shown } from './faultMatrix';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** The off-site folder is a real, small file system (a 3 MB tmpfs) that fills during the copy. */
describe('copy off-site to a disk that fills up (needs root to mount tmpfs)', () => {
  let root: string;
  let mnt: string;

  beforeEach(async function () {
    if (process.getuid?.() !== 0) this.skip();
    root = await fs.mkdtemp(join(tmpdir(), 'lb-offsite-full-'));
    mnt = join(root, 'nas');
    await fs.mkdir(mnt);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=3m', 'tmpfs', mnt]);
  });
  afterEach(async () => {
    if (!root) return;
    try {
      execFileSync('umount', [mnt]);
    } catch {
      // Not mounted: the test skipped before mounting.
    }
    await fs.rm(root, { recursive: true, force: true });
  });

  it('a full destination: a clear error naming it, no partial there, the local backup and the older copy unchanged', async () => {
    const local = join(root, 'backups', 'database');
    await fs.mkdir(local, { recursive: true });
    const make = async (name: string, bytes: number) => {
      const data = gzipSync(
        `-- PostgreSQL database dump\n${randomBytes(bytes).toString('base64')}\n-- PostgreSQL database dump complete\n`,
        { level: 1 },
      );
      const path = join(local, name);
      await fs.writeFile(path, data);
      await writeManifest(path, {
        formatVersion: MANIFEST_VERSION,
        kind: 'database',
        createdAt: new Date().toISOString(),
        tool: { name: 'lifeboat', version: 'test' },
        source: {},
        compression: { format: 'gzip', level: 1 },
        file: { name, bytes: data.length, sha256: sha(data) },
        verifications: [],
      });
      return { path, data };
    };
    const dest = new FolderDestination(mnt);
    const older = await make('sms_backup_20260101_000000.sql.gz', 600_000);
    await copyOffsite(older.path, dest, { requireEncryption: false });
    const olderCopy = join(mnt, 'database', 'sms_backup_20260101_000000.sql.gz');
    const olderSum = sha(await fs.readFile(olderCopy));
    const big = await make('sms_backup_20260102_000000.sql.gz', 3_000_000);

    let saw = '';
    await assert.rejects(copyOffsite(big.path, dest, { requireEncryption: false }), (err: Error) => {
      saw = shown(err);
      return true;
    });
    const left = (await fs.readdir(join(mnt, 'database'))).sort();
    const localIntact = sha(await fs.readFile(big.path)) === sha(big.data);
    const olderIntact = sha(await fs.readFile(olderCopy)) === olderSum;
    recordFault({
      operation: 'off-site copy (folder)',
      fault: 'the destination disk fills during the copy (3 MB tmpfs)',
      userSees: saw.split(mnt).join('<tmpfs>'),
      leftOnDisk: `at the destination: ${left.join(', ')}; the local backup unchanged`,
      dataLost: !localIntact || !olderIntact,
    });
    assert.match(
      saw,
      /^The off-site destination the folder .* is full \(ENOSPC\): could not write the copy of "sms_backup_20260102_000000\.sql\.gz"\. Nothing was left there, and the local backup is unchanged\./,
    );
    assert.deepEqual(left, ['sms_backup_20260101_000000.sql.gz', 'sms_backup_20260101_000000.sql.gz.json']);
    assert.ok(localIntact && olderIntact);
  });

  it('a download into a local disk that fills: a clear error naming it, no partial kept, the off-site copy unchanged', async () => {
    // Here the small file system is the local backup folder; the off-site folder is an ordinary one.
    const nas = join(root, 'nas-src');
    const local = join(root, 'made', 'database');
    await fs.mkdir(local, { recursive: true });
    await fs.mkdir(nas);
    const name = 'sms_backup_20260103_000000.sql.gz';
    const data = gzipSync(
      `-- PostgreSQL database dump\n${randomBytes(3_500_000).toString('base64')}\n-- PostgreSQL database dump complete\n`,
      {
        level: 1,
      },
    );
    await fs.writeFile(join(local, name), data);
    await writeManifest(join(local, name), {
      formatVersion: MANIFEST_VERSION,
      kind: 'database',
      createdAt: new Date().toISOString(),
      tool: { name: 'lifeboat', version: 'test' },
      source: {},
      compression: { format: 'gzip', level: 1 },
      file: { name, bytes: data.length, sha256: sha(data) },
      verifications: [],
    });
    const dest = new FolderDestination(nas);
    await copyOffsite(join(local, name), dest, { requireEncryption: false });
    const copy = join(nas, 'database', name);

    let saw = '';
    await assert.rejects(fetchOffsite(dest, `database/${name}`, mnt), (err: Error) => {
      saw = shown(err);
      return true;
    });
    const left = await fs.readdir(join(mnt, 'database'));
    const copyIntact = sha(await fs.readFile(copy)) === sha(data);
    recordFault({
      operation: 'off-site download (folder)',
      fault: 'the local disk fills during the download (3 MB tmpfs)',
      userSees: saw.split(mnt).join('<tmpfs>'),
      leftOnDisk: `in the backup folder: ${left.join(', ') || 'nothing'}; the off-site copy unchanged`,
      dataLost: !copyIntact,
    });
    assert.match(
      saw,
      /^The disk holding .*\/database\/\.sms_backup_20260103_000000\.sql\.gz\.partial is full \(ENOSPC\) while trying to write the download\./,
    );
    assert.deepEqual(left, []);
    assert.ok(copyIntact);
  });

  it('an off-site disk out of inodes: the copy cannot even be started there, and says the disk is full', async () => {
    const tiny = join(root, 'tiny');
    await fs.mkdir(tiny);
    // Three inodes: the root, "database" and one file; the partial then has none left.
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,nr_inodes=3', 'tmpfs', tiny]);
    try {
      await fs.mkdir(join(tiny, 'database'));
      await fs.writeFile(join(tiny, 'database', 'notes.txt'), 'kept');
      const dest = new FolderDestination(tiny);
      await assert.rejects(dest.write('database/sms_backup_20260104_000000.sql.gz'), (err: Error) => {
        assert.equal(
          err.message,
          `The off-site disk holding ${join(tiny, 'database', '.sms_backup_20260104_000000.sql.gz.partial')} is full (ENOSPC): could not write the off-site copy.`,
        );
        assert.match((err as { hint?: string }).hint ?? '', /lifeboat\.offsite\.destination/);
        return true;
      });
      assert.deepEqual(await fs.readdir(join(tiny, 'database')), ['notes.txt']);
      assert.equal(existsSync(join(tiny, 'database', 'sms_backup_20260104_000000.sql.gz')), false);
    } finally {
      execFileSync('umount', [tiny]);
    }
  });
});
