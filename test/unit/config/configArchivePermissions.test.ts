import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LifeboatError } from '../../../src/core/common';
import { archiveConfig } from '../../../src/core/config';

const NOBODY = 65534;

/**
 * Config folders another user keeps closed. The tests run as root, whom permissions never stop,
 * so the archive is made as "nobody" for the moment it runs (a reversible seteuid).
 */
describe('config archive of folders this user may not read (as "nobody")', () => {
  let root: string;
  let ws: string;
  let backupDir: string;
  beforeEach(async function () {
    if (process.getuid?.() !== 0 || !process.seteuid) this.skip();
    root = await fs.mkdtemp(join(tmpdir(), 'lb-config-perms-'));
    await fs.chmod(root, 0o755);
    ws = join(root, 'ws');
    await fs.mkdir(join(ws, 'conf'), { recursive: true, mode: 0o755 });
    await fs.writeFile(join(ws, 'conf', 'app.ini'), 'x=1\n');
    backupDir = join(root, 'backups');
    await fs.mkdir(join(backupDir, 'config'), { recursive: true, mode: 0o700 });
    await fs.chown(backupDir, NOBODY, NOBODY);
    await fs.chown(join(backupDir, 'config'), NOBODY, NOBODY);
  });
  afterEach(async () => {
    if (root) await fs.rm(root, { recursive: true, force: true });
  });

  async function asNobody(): Promise<unknown> {
    process.seteuid!(NOBODY);
    try {
      await archiveConfig({ backupDir, workspace: ws, paths: ['conf'] });
      return undefined;
    } catch (err) {
      return err;
    } finally {
      process.seteuid!(0);
    }
  }

  it('a folder that cannot be listed names it, and no archive or partial is written', async () => {
    await fs.chmod(join(ws, 'conf'), 0o000);
    const err = await asNobody();
    assert.ok(err instanceof LifeboatError, String(err));
    assert.ok(err.message.startsWith(`Cannot read the config folder: ${join(ws, 'conf')} `), err.message);
    assert.match(err.message, /\(EACCES\)/);
    assert.deepEqual(await fs.readdir(join(backupDir, 'config')), []);
  });

  it('a folder that can be listed but not entered names the file inside it, and nothing is written', async () => {
    await fs.chmod(join(ws, 'conf'), 0o644);
    const err = await asNobody();
    assert.ok(err instanceof LifeboatError, String(err));
    assert.ok(err.message.startsWith(`Cannot read the config path: ${join(ws, 'conf', 'app.ini')} `), err.message);
    assert.match(err.message, /\(EACCES\)/);
    assert.deepEqual(await fs.readdir(join(backupDir, 'config')), []);
  });
});
