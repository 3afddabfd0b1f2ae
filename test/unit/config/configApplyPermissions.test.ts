import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LifeboatError } from '../../../src/core/common';
import { applyFiles } from '../../../src/core/config';
import type { ArchiveEntry } from '../../../src/core/archive';

/**
 * A workspace folder that is shared and sticky (mode 1777, like /tmp), holding a file another
 * user owns. The restore runs as "nobody" for the moment it takes (a reversible seteuid): root is
 * never refused, and the kernel's protected_hardlinks only stops others.
 */
describe('config restore over another user\'s file in a sticky folder (as "nobody")', () => {
  let root: string;
  beforeEach(async function () {
    if (process.getuid?.() !== 0 || !process.seteuid) this.skip();
    root = await fs.mkdtemp(join(tmpdir(), 'lb-apply-perms-'));
    await fs.chmod(root, 0o755);
  });
  afterEach(async () => {
    if (root) await fs.rm(root, { recursive: true, force: true });
  });

  it('the .bak is copied (no hard link to a file not ours), the rename is refused, and neither the .bak nor the new copy is left', async () => {
    const staging = join(root, 'staging');
    const ws = join(root, 'ws');
    await fs.mkdir(staging, { mode: 0o755 });
    await fs.mkdir(ws);
    await fs.chmod(ws, 0o1777);
    await fs.writeFile(join(staging, 'a'), 'new a', { mode: 0o644 });
    await fs.writeFile(join(ws, 'a'), 'old a', { mode: 0o644 });
    const entry: ArchiveEntry = {
      path: 'a',
      type: 'file',
      size: 5,
      mode: 0o644,
      mtime: new Date(Date.UTC(2024, 0, 2)),
      sha256: createHash('sha256').update('new a').digest('hex'),
    };
    let caught: unknown;
    process.seteuid!(65534);
    try {
      await applyFiles(staging, ws, ['a'], [entry]);
    } catch (err) {
      caught = err;
    } finally {
      process.seteuid!(0);
    }
    assert.ok(caught instanceof LifeboatError, String(caught));
    assert.ok(caught.message.startsWith(`Cannot restore "a": ${join(await fs.realpath(ws), 'a')} `), caught.message);
    assert.match(caught.message, /\((EPERM|EACCES)\)\. No file was changed\.$/);
    assert.deepEqual(await fs.readdir(ws), ['a']);
    assert.equal(await fs.readFile(join(ws, 'a'), 'utf8'), 'old a');
  });
});
