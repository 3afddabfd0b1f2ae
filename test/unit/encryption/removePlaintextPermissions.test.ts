import * as assert from 'node:assert/strict';
import { existsSync, promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LifeboatError } from '../../../src/core/common';
import { removePlaintextCopy } from '../../../src/core/encryption';

describe('removing the unencrypted copy from a folder this user may not change (as "nobody")', () => {
  let root: string;
  beforeEach(async function () {
    if (process.getuid?.() !== 0 || !process.seteuid) this.skip();
    root = await fs.mkdtemp(join(tmpdir(), 'lb-remove-plain-'));
    await fs.chmod(root, 0o755);
  });
  afterEach(async () => {
    if (root) await fs.rm(root, { recursive: true, force: true });
  });

  it('names the backup and the code, and leaves the backup and its manifest where they are', async () => {
    const src = join(root, 'sms_backup_20260101_020000.sql.gz');
    await fs.writeFile(src, 'dump');
    await fs.writeFile(`${src}.json`, '{}');
    let caught: unknown;
    // Root is never refused: the removal is made as "nobody" for a moment (a reversible seteuid).
    process.seteuid!(65534);
    try {
      await removePlaintextCopy(src);
    } catch (err) {
      caught = err;
    } finally {
      process.seteuid!(0);
    }
    assert.ok(caught instanceof LifeboatError, String(caught));
    assert.ok(caught.message.startsWith(`Cannot delete the unencrypted backup: ${src} `), caught.message);
    assert.match(caught.message, /\(EACCES\)/);
    assert.ok(existsSync(src) && existsSync(`${src}.json`));
  });
});
