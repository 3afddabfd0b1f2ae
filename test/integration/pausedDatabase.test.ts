import * as assert from 'node:assert/strict';
import { existsSync, promises as fs } from 'node:fs';
import { join } from 'node:path';
import { backupDatabase } from '../../src/core/database';
import { ContainerNotRunningError, LifeboatError } from '../../src/core/common';
import { databaseBackupName } from '../../src/core/store';
import { ScratchDb, docker, freePort, run, scratchPostgres, tempDir } from './harness';

describe('database backup of a paused container, and a folder with no free name (issue 13)', function () {
  this.timeout(180_000);
  let db: ScratchDb;
  let dir: string;

  before(async () => {
    db = await scratchPostgres('lifeboat-it-cov2-paused', await freePort(), 64 * 1024);
    dir = await tempDir('paused-database');
  });
  after(async () => {
    await run('docker', ['unpause', db.container]).catch(() => undefined);
    await db.remove();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('a paused database container is refused as not running (paused), with how to start it; nothing is written', async () => {
    const backupDir = join(dir, 'paused');
    await run('docker', ['pause', db.container]);
    try {
      await assert.rejects(backupDatabase(docker, db.stack, { backupDir }), (err: unknown) => {
        assert.ok(err instanceof ContainerNotRunningError);
        assert.equal(
          err.message,
          `The database container "${db.stack.db.name}" is not running (paused), so there is nothing to back up from.`,
        );
        assert.match(err.hint ?? '', /^Start the stack with `docker compose up -d` in its folder/);
        return true;
      });
    } finally {
      await run('docker', ['unpause', db.container]);
    }
    assert.equal(existsSync(backupDir), false, 'the refusal comes before the backup folder is made');
  });

  it('when the 60 names after now are all taken, the backup is refused, saying so; the taken files are untouched', async () => {
    const backupDir = join(dir, 'crowded');
    const now = new Date(Date.UTC(2026, 0, 5, 1, 0, 0));
    await fs.mkdir(join(backupDir, 'database'), { recursive: true });
    for (let i = 0; i < 60; i++)
      await fs.writeFile(join(backupDir, 'database', databaseBackupName('cov2', new Date(now.getTime() + i * 1000))), 'taken');
    await assert.rejects(backupDatabase(docker, db.stack, { backupDir, prefix: 'cov2', now: () => now }), (err: unknown) => {
      assert.ok(err instanceof LifeboatError);
      assert.equal(err.message, `Too many backups named for ${now.toISOString()} in ${join(backupDir, 'database')}.`);
      return true;
    });
    const left = await fs.readdir(join(backupDir, 'database'));
    assert.equal(left.filter((n) => n.startsWith('cov2_backup_')).length, 60);
    assert.deepEqual(
      left.filter((n) => n.includes('partial')),
      [],
    );
  });
});
