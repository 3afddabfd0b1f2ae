import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { backupDatabase, restoreDatabase, listSideDatabases } from '../../src/core/database';
import { recordFault, shown } from './faultMatrix';
import { ScratchDb, dataFingerprint, databases, docker, psql, scratchPostgres, tempDir } from './harness';
import { killWhen } from './killWhen';

/**
 * kill -9 of a database restore (coreChild: the core code the extension host runs, in a process
 * of its own) at its phases, against a scratch PostgreSQL container. Afterwards the live
 * database is the old one whole, or the restored one with the old one whole beside it as
 * `_pre_restore_`; copies left are listed beside the live database; the next restore works.
 */
const CHILD = join(__dirname, 'coreChild.js');
const yes = async () => true;

describe('kill -9 of a database restore at its phases (a process of its own, a scratch container)', function () {
  this.timeout(300_000);
  let db: ScratchDb;
  let dir: string;
  let backup: string;
  let inBackup: string;
  let live: string;

  before(async () => {
    db = await scratchPostgres('lifeboat-it-kill9restore', 55487, 30 * 1024 * 1024);
    dir = await tempDir('kill9restore');
    inBackup = await dataFingerprint(db.container, 'lb', 'lbdb');
    backup = (await backupDatabase(docker, db.stack, { backupDir: dir })).path;
    // The live database moves on, so it can be told apart from the backup.
    await psql(db.container, 'lb', 'lbdb', `INSERT INTO notes (body) SELECT 'after the backup ' || g FROM generate_series(1, 50) g;`);
    live = await dataFingerprint(db.container, 'lb', 'lbdb');
  });

  after(async () => {
    await db?.remove();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  const target = () => ({ container: docker.getContainer(db.container), user: 'lb', database: 'lbdb' });
  const child = () =>
    spawn(process.execPath, [CHILD, 'restoreDatabase', JSON.stringify({ dbContainer: db.container, file: backup, backupDir: dir })], {
      stdio: 'ignore',
    });

  it('kill -9 during the dry run: the live database whole, the scratch copy listed, the next restore works', async () => {
    const sidesBefore = await databases(db.container, 'lb');
    await killWhen(
      child(),
      async () => {
        const out = await psql(
          db.container,
          'lb',
          'postgres',
          `SELECT count(*) FROM pg_stat_activity WHERE datname LIKE 'lbdb\\_restore\\_%' AND state = 'active';`,
        );
        return Number(out.trim()) > 0;
      },
      30,
    );
    const now = await dataFingerprint(db.container, 'lb', 'lbdb');
    const left = (await listSideDatabases(target(), 'lbdb')).filter((s) => !sidesBefore.includes(s.name));
    const next = await restoreDatabase(docker, db.stack, { file: backup, backupDir: dir, confirm: yes }).then(
      () => undefined,
      (e: unknown) => e,
    );
    recordFault({
      operation: 'database restore (own process)',
      fault: 'kill -9 during the dry run, while the scratch database loads',
      userSees: `nothing from the killed process; the next restore ${next ? `fails: ${shown(next)}` : 'succeeds'}`,
      leftOnDisk: `live database unchanged; ${left.map((s) => `${s.name.replace(/\d{8}_\d{6}/, 'YYYYMMDD_HHMMSS')} (its load rolled back by the server; listed beside the live database for "Drop")`).join(', ') || 'no scratch database left'}; the lock naming the dead process (taken over by the next run)`,
      dataLost: now !== live,
    });
    assert.equal(now, live, 'the live database is the old one, whole');
    assert.ok(
      left.every((s) => s.kind === 'restore'),
      left.map((s) => s.name).join(', '),
    );
    assert.equal(next, undefined, shown(next));
    assert.equal(await dataFingerprint(db.container, 'lb', 'lbdb'), inBackup, 'the next restore restored the backup');
    // The next test starts from the live database again.
    await psql(db.container, 'lb', 'lbdb', `INSERT INTO notes (body) SELECT 'after the backup ' || g FROM generate_series(1, 50) g;`);
    live = await dataFingerprint(db.container, 'lb', 'lbdb');
  });

  it('kill -9 just after the swap: the restored database is live, the previous one whole as _pre_restore_', async () => {
    const before = new Set(await databases(db.container, 'lb'));
    await killWhen(
      child(),
      async () => (await databases(db.container, 'lb')).some((d) => !before.has(d) && /^lbdb_pre_restore_\d{8}_\d{6}$/.test(d)),
      30,
    );
    const pre = (await databases(db.container, 'lb')).find((d) => !before.has(d) && d.startsWith('lbdb_pre_restore_'))!;
    const nowLive = await dataFingerprint(db.container, 'lb', 'lbdb');
    const kept = await dataFingerprint(db.container, 'lb', pre);
    const next = await restoreDatabase(docker, db.stack, { file: backup, backupDir: dir, confirm: yes }).then(
      () => undefined,
      (e: unknown) => e,
    );
    recordFault({
      operation: 'database restore (own process)',
      fault: 'kill -9 just after the swap, before migrations and the health check',
      userSees: `nothing from the killed process; the restored database is live and the previous one kept; the next restore ${next ? `fails: ${shown(next)}` : 'succeeds'}`,
      leftOnDisk: `${pre.replace(/\d{8}_\d{6}/, 'YYYYMMDD_HHMMSS')} (the previous database, whole: listed beside the live one, with Undo and Drop)`,
      dataLost: kept !== live || nowLive !== inBackup,
    });
    assert.equal(nowLive, inBackup, 'the live database is the restored one, whole');
    assert.equal(kept, live, 'the previous database is kept whole');
    assert.equal(next, undefined, shown(next));
  });
});
