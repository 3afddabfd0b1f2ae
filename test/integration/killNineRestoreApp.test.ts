import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { backupDatabase } from '../../src/core/database';
import { assertCoreChildBuilt, runChild, stableText, startChild } from './afterKill';
import { recordFault } from './faultMatrix';
import { HELPER_IMAGE, REPO, ScratchDb, dataFingerprint, databases, docker, psql, run, running, scratchPostgres, tempDir } from './harness';
import { killWhen } from './killWhen';

/**
 * kill -9 of a database restore after it stopped the app (coreChild, a process of its own): no
 * `finally` starts the app again. The restore records what it stopped next to its lock, so the
 * next run can tell: `lifeboat status` names the app and the command that starts it (exit 1),
 * and the next restore starts it before it does anything else. A scratch PostgreSQL and a
 * stand-in app container of the test's own; the demo stack is not touched.
 */
const CLI = join(REPO, 'dist', 'cli.js');
const APP = 'lifeboat-it-kill9app-web';

function status(folder: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, 'status', '--folder', folder], (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('kill -9 of a database restore after it stopped the app (a process of its own, a scratch container)', function () {
  this.timeout(300_000);
  let db: ScratchDb;
  let folder: string;
  let dir: string;
  let backup: string;
  let inBackup: string;
  let live: string;

  before(async () => {
    await assertCoreChildBuilt();
    await fs.access(CLI).catch(() => {
      throw new Error(`${CLI} is missing: run node scripts/build.mjs`);
    });
    db = await scratchPostgres('lifeboat-it-kill9app', 55479, 2 * 1024 * 1024);
    await run('docker', ['rm', '-f', APP]).catch(() => undefined);
    // Stands in for sms-web: a container the restore stops around the swap. --init, so a stop is quick.
    await run('docker', ['run', '-d', '--init', '--name', APP, '--network', 'none', HELPER_IMAGE, 'sleep', '3600']);
    folder = await tempDir('kill9app');
    await fs.mkdir(join(folder, '.vscode'));
    await fs.writeFile(join(folder, '.vscode', 'settings.json'), JSON.stringify({ 'lifeboat.database.container': db.container }));
    dir = join(folder, 'backups');
    inBackup = await dataFingerprint(db.container, 'lb', 'lbdb');
    backup = (await backupDatabase(docker, db.stack, { backupDir: dir })).path;
    await psql(db.container, 'lb', 'lbdb', `INSERT INTO notes (body) SELECT 'after the backup ' || g FROM generate_series(1, 50) g;`);
    live = await dataFingerprint(db.container, 'lb', 'lbdb');
  });

  after(async () => {
    await run('docker', ['rm', '-f', APP]).catch(() => undefined);
    await db?.remove();
    if (folder) await fs.rm(folder, { recursive: true, force: true });
  });

  const records = async () => (await fs.readdir(dir)).filter((f) => f.endsWith('.stopped.json'));

  it('the app left stopped is named by `lifeboat status` with the command to start it, and started by the next restore', async () => {
    const opts = { dbContainer: db.container, file: backup, backupDir: dir, appServices: [APP], migration: 'none' };
    const before = new Set(await databases(db.container, 'lb'));
    await killWhen(startChild('restoreDatabase', opts), async () => !(await running(APP)), 20);

    const appDown = !(await running(APP));
    const left = await records();
    const record = left.length ? JSON.parse(await fs.readFile(join(dir, left[0]), 'utf8')) : undefined;
    const told = await status(folder);
    // Killed before or after the swap: the live database is one of the two, whole; the other is kept.
    const nowLive = await dataFingerprint(db.container, 'lb', 'lbdb');
    const pre = (await databases(db.container, 'lb')).find((d) => !before.has(d) && d.startsWith('lbdb_pre_restore_'));
    const kept = pre ? await dataFingerprint(db.container, 'lb', pre) : undefined;
    const intact = pre ? nowLive === inBackup && kept === live : nowLive === live;

    const next = await runChild('restoreDatabase', opts);
    const logged = next.log
      .split('\n')
      .filter((l) => /interrupted/.test(l))
      .map((l) => stableText(l.replace(/^\w+ /, ''), dir));
    const after = await status(folder);
    const said = told.stdout
      .split('\n')
      .filter((l) => l.includes('Left stopped'))
      .map((l) => l.trim().replace(/process \d+, started [^)]+/, 'process <pid>, started <time>'));
    recordFault({
      operation: 'database restore (own process)',
      fault: 'kill -9 after it stopped the app containers (the app left stopped)',
      userSees: `nothing from the killed process; \`lifeboat status\` (exit ${told.code}) says: ${said.join(' ')} The next restore (exit ${next.code}) logs: ${logged.join(' ')}`,
      leftOnDisk: `${left.map((f) => `${f} (naming ${APP}: removed once it runs again)`).join(', ')}; ${APP} stopped (started by the next restore); live database ${pre ? `the restored one, the previous kept as ${pre.replace(/\d{8}_\d{6}/, 'YYYYMMDD_HHMMSS')}` : 'unchanged'}`,
      dataLost: !intact,
    });

    assert.ok(appDown, 'the killed restore had stopped the app');
    assert.deepEqual(record?.stopped, [APP], `the record names the app: ${left.join(', ')}`);
    assert.equal(told.code, 1, `status needs attention:\n${told.stdout}${told.stderr}`);
    assert.match(
      told.stdout,
      new RegExp(`"${APP}" was stopped by an interrupted database restore \\(process \\d+, started [^)]+\\) and is still stopped`),
    );
    assert.ok(told.stdout.includes(`Start it with "docker start ${APP}".`), told.stdout);
    assert.ok(intact, 'the live database is one whole database, the other kept whole');
    assert.equal(next.code, 0, `${JSON.stringify(next.out)}\n${next.log}`);
    assert.ok(
      logged.some((l) => l.startsWith(`Starting ${APP} again: stopped by an interrupted database restore`)),
      next.log,
    );
    assert.ok(await running(APP), 'the app runs again');
    assert.deepEqual(await records(), [], 'no record once the app runs');
    assert.doesNotMatch(after.stdout, /Left stopped/);
    assert.equal(await dataFingerprint(db.container, 'lb', 'lbdb'), inBackup, 'the next restore restored the backup');
  });

  it('an app the user started by hand is not reported again, and its record is removed', async () => {
    await psql(db.container, 'lb', 'lbdb', `INSERT INTO notes (body) VALUES ('moved on');`);
    const opts = { dbContainer: db.container, file: backup, backupDir: dir, appServices: [APP], migration: 'none' };
    await killWhen(startChild('restoreDatabase', opts), async () => !(await running(APP)), 20);
    assert.equal((await records()).length, 1);
    await run('docker', ['start', APP]);
    const told = await status(folder);
    assert.doesNotMatch(told.stdout, /Left stopped/, told.stdout);
    assert.deepEqual(await records(), [], 'a record whose containers all run is removed');
  });
});
