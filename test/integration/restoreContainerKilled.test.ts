import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { backupDatabase, restoreDatabase, listSideDatabases } from '../../src/core/database';
import { recordFault, shown } from './faultMatrix';
import { ScratchDb, dataFingerprint, docker, run, scratchPostgres, tempDir, waitHealthy } from './harness';

/**
 * The database container killed (docker kill) while a restore's dry run loads the scratch
 * database: a clear error, the live database unchanged, the backup file unchanged, the scratch
 * database left by the dead server listed beside the live one (the tree offers to drop it), and
 * the next restore works. A scratch PostgreSQL container, never the demo stack's.
 */
const yes = async () => true;

async function sha256(path: string): Promise<string> {
  return createHash('sha256')
    .update(await fs.readFile(path))
    .digest('hex');
}

describe("the database container killed during a restore's dry run (a scratch container)", function () {
  this.timeout(240_000);
  let db: ScratchDb;
  let backup: string;
  let dir: string;

  before(async () => {
    db = await scratchPostgres('lifeboat-it-restore-kill', 55485, 40 * 1024 * 1024);
    dir = await tempDir('restore-kill');
    backup = (await backupDatabase(docker, db.stack, { backupDir: dir })).path;
  });

  after(async () => {
    await db?.remove();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it('a clear error, the live database whole, the scratch copy listed; the next restore succeeds', async () => {
    const before = await dataFingerprint(db.container, 'lb', 'lbdb');
    const sum = await sha256(backup);
    const target = { container: docker.getContainer(db.container), user: 'lb', database: 'lbdb' };
    const sidesBefore = (await listSideDatabases(target, 'lbdb')).map((s) => s.name);
    let killed = false;
    const err = await restoreDatabase(docker, db.stack, {
      file: backup,
      backupDir: dir,
      confirm: yes,
      progress: (p) => {
        if (!killed && p.phase.startsWith('Dry run') && (p.bytes ?? 0) > 2 * 1024 * 1024) {
          killed = true;
          void run('docker', ['kill', db.container]);
        }
      },
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    const running = (await docker.getContainer(db.container).inspect()).State.Running;
    await run('docker', ['start', db.container]);
    await waitHealthy(db.container);
    const intact = (await dataFingerprint(db.container, 'lb', 'lbdb')) === before && (await sha256(backup)) === sum;
    const left = (await listSideDatabases(target, 'lbdb')).filter((s) => !sidesBefore.includes(s.name));
    const next = await restoreDatabase(docker, db.stack, { file: backup, backupDir: dir, confirm: yes }).then(
      (r) => r,
      (e: unknown) => e,
    );
    const restoredOk = !(next instanceof Error);
    recordFault({
      operation: 'database restore',
      fault: 'the database container killed (docker kill) during the dry run',
      userSees: shown(err)
        .split(dir)
        .join('<backups>')
        .replace(/\d{8}_\d{6}/g, 'YYYYMMDD_HHMMSS'),
      leftOnDisk: `live database unchanged; ${db.container} stopped (the user starts it); ${left.map((s) => `${s.name.replace(/\d{8}_\d{6}/, 'YYYYMMDD_HHMMSS')} (a scratch copy, listed beside the live database for "Drop")`).join(', ') || 'no scratch database left'}; the next restore ${restoredOk ? 'succeeds' : `fails: ${shown(next)}`}`,
      dataLost: !intact,
    });
    assert.ok(killed, 'the container was killed mid-dry-run');
    assert.ok(err instanceof Error, 'the restore failed');
    assert.doesNotMatch(shown(err), /^(Error|TypeError)\b|undefined/);
    assert.equal(running, false);
    assert.ok(intact, 'the live database and the backup are as they were');
    assert.ok(
      left.every((s) => s.kind === 'restore'),
      `only scratch copies are left: ${left.map((s) => s.name).join(', ')}`,
    );
    assert.ok(restoredOk, shown(next));
  });
});
