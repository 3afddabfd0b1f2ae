import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { MANIFEST_VERSION, writeManifest } from '../../src/core/store';
import { FolderDestination, copyOffsite } from '../../src/core/offsite';
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
});
