import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LifeboatError } from '../../../src/core/common';
import { listBackups } from '../../../src/core/store';

describe('listBackups: folders that are not what they should be', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(join(tmpdir(), 'lb-catalog-edge-'));
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('a kind folder that is a file is skipped; the other folders are still listed', async () => {
    await fs.writeFile(join(dir, 'database'), 'not a folder');
    await fs.mkdir(join(dir, 'config'));
    await fs.writeFile(join(dir, 'config', 'config_20260101_010000.tar.gz'), 'x');
    const list = await listBackups(dir);
    assert.deepEqual(
      list.map((e) => e.fileName),
      ['config_20260101_010000.tar.gz'],
    );
  });

  it('a backup folder setting that points at a file lists nothing rather than failing', async () => {
    const file = join(dir, 'backups');
    await fs.writeFile(file, 'x');
    assert.deepEqual(await listBackups(file), []);
  });

  it('a backup folder that is a link loop is an error naming the folder and the setting, not a bare ELOOP', async () => {
    const loop = join(dir, 'backups');
    await fs.symlink(loop, loop);
    await assert.rejects(listBackups(loop), (err: Error) => {
      assert.ok(err instanceof LifeboatError, String(err));
      assert.match(err.message, new RegExp(`^Cannot read the backup folder ${loop}: ELOOP`));
      assert.match(err.hint ?? '', /lifeboat\.backupDirectory/);
      return true;
    });
  });

  it("a dangling link with a backup's name is not listed", async () => {
    await fs.mkdir(join(dir, 'database'));
    await fs.symlink(join(dir, 'gone'), join(dir, 'database', 'sms_backup_20260101_020000.sql.gz'));
    assert.deepEqual(await listBackups(dir), []);
  });
});
