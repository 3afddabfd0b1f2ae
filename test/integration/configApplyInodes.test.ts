import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LifeboatError } from '../../src/core/common';
import { applyFiles } from '../../src/core/config';
import type { ArchiveEntry } from '../../src/core/archive';
import { recordFault, shown } from './faultMatrix';

/** The workspace is a real tmpfs with three inodes: its root, the link already there, and one more. */
describe('config restore into a workspace out of inodes (needs root to mount tmpfs)', () => {
  let root: string;
  let ws: string;

  beforeEach(async function () {
    if (process.getuid?.() !== 0) this.skip();
    root = await fs.mkdtemp(join(tmpdir(), 'lb-apply-inodes-'));
    ws = join(root, 'ws');
    await fs.mkdir(join(root, 'staging'), { recursive: true });
    await fs.mkdir(ws);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,nr_inodes=3', 'tmpfs', ws]);
  });
  afterEach(async () => {
    if (!root) return;
    try {
      execFileSync('umount', [ws]);
    } catch {
      // Not mounted: the test skipped before mounting.
    }
    await fs.rm(root, { recursive: true, force: true });
  });

  it('a replaced link whose .bak cannot be made: the disk is named full, the link is unchanged and nothing is left beside it', async () => {
    await fs.symlink('v1', join(ws, 'current'));
    const entry: ArchiveEntry = {
      path: 'current',
      type: 'symlink',
      size: 0,
      mode: 0o777,
      mtime: new Date(Date.UTC(2024, 0, 2)),
      target: 'v2',
    };
    let saw = '';
    await assert.rejects(applyFiles(join(root, 'staging'), ws, ['current'], [entry]), (err: Error) => {
      assert.ok(err instanceof LifeboatError, String(err));
      saw = shown(err);
      return true;
    });
    const left = (await fs.readdir(ws)).sort();
    const intact = (await fs.readlink(join(ws, 'current'))) === 'v1';
    recordFault({
      operation: 'config restore',
      fault: 'the workspace runs out of inodes while the replaced link is kept as .bak (tmpfs, 3 inodes)',
      userSees: saw.split(ws).join('<tmpfs>'),
      leftOnDisk: `in the workspace: ${left.join(', ')}`,
      dataLost: !intact,
    });
    assert.match(saw, /^The disk holding .*\/current\.bak is full \(ENOSPC\) while trying to keep a backup copy\..* No file was changed\./);
    assert.deepEqual(left, ['current']);
    assert.ok(intact);
  });
});
