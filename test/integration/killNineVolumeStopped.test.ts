import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { interruptedStops } from '../../src/core/store';
import { InterruptedRestoreError, startLeftStopped } from '../../src/core/volume';
import {
  afterKill,
  assertCoreChildBuilt,
  entriesOfKind,
  foldersOfKind,
  runChild,
  stableText,
  startChild,
  volumeLeftoverFolders,
} from './afterKill';
import { recordFault, shown } from './faultMatrix';
import {
  HELPER_IMAGE,
  ProjectPostgres,
  REPO,
  collectingLogger,
  dataFingerprint,
  docker,
  psql,
  removeProjectPostgres,
  run,
  running,
  shInVolume,
  startProjectPostgres,
  tempDir,
  volumeHelpers,
  waitHealthy,
} from './harness';
import { killWhen } from './killWhen';

/**
 * kill -9 of a volume snapshot and of a volume restore (coreChild, a process of its own) while
 * the database and the app that use the volume are stopped: no `finally` starts them. Each run
 * records what it stops in `.lifeboat-volume_<volume>.stopped.json`, the record a database
 * restore writes, so `lifeboat status` names them with the command that starts them (exit 1),
 * the extension's warning can start them, and the next snapshot or restore starts them. A
 * PostgreSQL container, an app container and a volume of the test's own; the demo stack is
 * not touched.
 */
const CLI = join(REPO, 'dist', 'cli.js');
const PROJECT = 'lifeboat-it-kill9stop';
const VOL = 'lifeboat_it_kill9stop';
const DB = 'lifeboat-it-kill9stop-db';
const WEB = 'lifeboat-it-kill9stop-web';
const P: ProjectPostgres = { project: PROJECT, volume: VOL, container: DB, port: 55473 };
const RECORD = `.lifeboat-volume_${VOL}.stopped.json`;

function status(folder: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, 'status', '--folder', folder], (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** The status lines about containers left stopped, without the process and time of the run. */
const leftStoppedLines = (stdout: string) =>
  stdout
    .split('\n')
    .filter((l) => l.includes('Left stopped'))
    .map((l) => l.trim().replace(/process \d+, started [^)]+/, 'process <pid>, started <time>'));

/** Stands in for "sms-web": a project container on the volume, which a snapshot and a restore stop with the database. */
async function startApp(): Promise<void> {
  await run('docker', ['rm', '-f', WEB]).catch(() => undefined);
  await run('docker', [
    'run',
    '-d',
    '--init',
    '--name',
    WEB,
    '--network',
    'none',
    '--label',
    `com.docker.compose.project=${PROJECT}`,
    '--label',
    'com.docker.compose.service=web',
    '-v',
    `${VOL}:/srv/data:ro`,
    HELPER_IMAGE,
    'sleep',
    '3600',
  ]);
}

describe('kill -9 of a volume snapshot or restore with the database and the app stopped: the record, `lifeboat status`, the next run', function () {
  this.timeout(300_000);
  let folder: string;
  let dir: string;
  let snapshot: string;
  let inSnapshot: string;
  let live: string;

  const records = async () => (await fs.readdir(dir)).filter((f) => f.endsWith('.stopped.json'));
  const readRecord = async () =>
    JSON.parse(await fs.readFile(join(dir, RECORD), 'utf8')) as { stopped: string[]; volume?: string; operation: string };
  const bothDown = async () => !(await running(DB)) && !(await running(WEB));
  const restoreOpts = () => ({ volume: VOL, file: snapshot, backupDir: dir, healthTimeoutMs: 60_000 });

  before(async () => {
    await assertCoreChildBuilt();
    await fs.access(CLI).catch(() => {
      throw new Error(`${CLI} is missing: run node scripts/build.mjs`);
    });
    await run('docker', ['rm', '-f', WEB]).catch(() => undefined);
    await removeProjectPostgres(P);
    await startProjectPostgres(P, { 'com.docker.compose.volume': 'pgdata' });
    await startApp();
    await psql(
      DB,
      'lb',
      'lbdb',
      `CREATE TABLE marks (id int PRIMARY KEY, body text); INSERT INTO marks SELECT g, md5(g::text) FROM generate_series(1, 20000) g; CHECKPOINT;`,
    );
    inSnapshot = await dataFingerprint(DB, 'lb', 'lbdb');
    folder = await tempDir('kill9stop');
    await fs.mkdir(join(folder, '.vscode'));
    await fs.writeFile(join(folder, '.vscode', 'settings.json'), JSON.stringify({ 'lifeboat.database.container': DB }));
    dir = join(folder, 'backups');
    const first = await runChild('snapshotVolume', { volume: VOL, backupDir: dir });
    assert.equal(first.code, 0, `${JSON.stringify(first.out)}\n${first.log}`);
    await waitHealthy(DB);
    const snaps = join(dir, 'volumes');
    snapshot = join(
      snaps,
      (await fs.readdir(snaps)).find((f) => f.endsWith('.tar.gz'))!,
    );
    // The live data moves on, so the restored content can be told from the previous one.
    await psql(DB, 'lb', 'lbdb', `INSERT INTO marks SELECT g, 'after the snapshot' FROM generate_series(20001, 20500) g; CHECKPOINT;`);
    live = await dataFingerprint(DB, 'lb', 'lbdb');
  });

  after(async () => {
    await run('docker', ['rm', '-f', WEB]).catch(() => undefined);
    await removeProjectPostgres(P);
    if (folder) await fs.rm(folder, { recursive: true, force: true });
  });

  beforeEach(async () => {
    assert.ok((await running(DB)) && (await running(WEB)), 'the database and the app run before the kill');
    assert.deepEqual(await records(), [], 'no record before the kill');
  });

  it('volume snapshot: the record names both, status says how to start them (exit 1), the next snapshot starts them and removes it', async () => {
    await killWhen(startChild('snapshotVolume', { volume: VOL, backupDir: dir }), bothDown, 20);
    const left = await records();
    const record = left.length ? await readRecord() : undefined;
    const told = await status(folder);
    const { dbDown, next, logged, fingerprint } = await afterKill({
      db: DB,
      dir,
      next: () => runChild('snapshotVolume', { volume: VOL, backupDir: dir }),
      logged: /again: stopped by an interrupted/,
    });
    const after = await status(folder);
    const intact = fingerprint === live;
    recordFault({
      operation: 'volume snapshot',
      fault: 'kill -9 with the database and the app container stopped (the record of them, `lifeboat status`, the next snapshot)',
      userSees: `\`lifeboat status\` (exit ${told.code}) says: ${leftStoppedLines(told.stdout).join(' ')} The next snapshot (exit ${next.code}) logs: ${logged.join(' ')}`,
      leftOnDisk: `${left.map((f) => `${f} naming ${(record?.stopped ?? []).join(' and ')} (removed once they run again)`).join(', ')}; both containers stopped (started by the next snapshot, or by Start in the extension's warning)`,
      dataLost: !intact,
    });

    assert.ok(dbDown, 'the killed snapshot had the database stopped');
    assert.deepEqual(left, [RECORD]);
    assert.deepEqual([...(record?.stopped ?? [])].sort(), [DB, WEB].sort(), 'the record names both');
    assert.equal(record?.volume, VOL);
    assert.equal(record?.operation, 'volume snapshot');
    assert.equal(told.code, 1, `status needs attention:\n${told.stdout}${told.stderr}`);
    assert.match(
      told.stdout,
      new RegExp(
        `Left stopped: .*were stopped by an interrupted volume snapshot of "${VOL}" \\(process \\d+, started [^)]+\\) and are still stopped`,
      ),
    );
    assert.match(told.stdout, /Start them with "docker start lifeboat-it-kill9stop-(db|web) lifeboat-it-kill9stop-(db|web)"\./);
    assert.equal(next.code, 0, `${JSON.stringify(next.out)}\n${next.log}`);
    assert.ok(
      logged.some((l) => /^Starting .*lifeboat-it-kill9stop-db.* again: stopped by an interrupted volume snapshot/.test(l)),
      next.log,
    );
    assert.ok((await running(DB)) && (await running(WEB)), 'both run again');
    assert.deepEqual(await records(), [], 'no record once they run');
    assert.doesNotMatch(after.stdout, /Left stopped/);
    assert.ok(intact, 'the database holds its data');
  });

  it('volume restore, killed before the swap: the record names both, status warns before `docker start`, the next restore starts them on the restored data', async () => {
    await killWhen(
      startChild('restoreVolume', restoreOpts()),
      async () => {
        if (!(await bothDown())) return false;
        const f = await volumeLeftoverFolders(VOL);
        return foldersOfKind(f, 'safety').length === 1 && entriesOfKind(f, 'safety') === 0;
      },
      20,
    );
    const left = await records();
    const record = left.length ? await readRecord() : undefined;
    const told = await status(folder);
    const { dbDown, next, logged, fingerprint } = await afterKill({ db: DB, dir, next: () => runChild('restoreVolume', restoreOpts()) });
    const after = await status(folder);
    const intact = fingerprint === inSnapshot;
    recordFault({
      operation: 'volume restore',
      fault:
        'kill -9 with the database and the app container stopped, before the swap (the record of them, `lifeboat status`, the next restore)',
      userSees: `\`lifeboat status\` (exit ${told.code}) says: ${leftStoppedLines(told.stdout).join(' ')} The next restore (exit ${next.code}) logs: ${logged.join(' ')}`,
      leftOnDisk: `${left.map((f) => `${f} naming ${(record?.stopped ?? []).join(' and ')} (taken over by the next restore, removed once they run again)`).join(', ')}; the copies in the volume (removed by the next restore)`,
      dataLost: !intact,
    });

    assert.ok(dbDown, 'the killed restore had the database stopped');
    assert.deepEqual(left, [RECORD]);
    assert.deepEqual([...(record?.stopped ?? [])].sort(), [DB, WEB].sort(), 'the record names both');
    assert.equal(record?.volume, VOL);
    assert.equal(record?.operation, 'volume restore');
    assert.equal(told.code, 1, `status needs attention:\n${told.stdout}${told.stderr}`);
    assert.match(
      told.stdout,
      new RegExp(
        `Left stopped: .*were stopped by an interrupted volume restore of "${VOL}" .* and are still stopped\\. A snapshot or restore of "${VOL}" starts them once it has checked that the restore left the volume whole; "docker start [^"]+" does not check\\.`,
      ),
    );
    assert.equal(next.code, 0, `${JSON.stringify(next.out)}\n${next.log}`);
    assert.ok(
      logged.some((l) =>
        / were left stopped by an interrupted volume restore \(process <pid>, started <time>\); this restore starts them again when it ends\./.test(
          l,
        ),
      ),
      next.log,
    );
    assert.ok((await running(DB)) && (await running(WEB)), 'both run again');
    assert.deepEqual(await records(), [], 'no record once they run');
    assert.doesNotMatch(after.stdout, /Left stopped/);
    assert.ok(intact, 'the volume holds the restored content whole');
    // The next test starts from live data that differs from the snapshot again.
    for (let i = 0; i < 60 && Object.keys(await volumeLeftoverFolders(VOL)).length; i++) await new Promise((r) => setTimeout(r, 500));
    await psql(DB, 'lb', 'lbdb', `INSERT INTO marks SELECT g, 'after the restore' FROM generate_series(20001, 20300) g; CHECKPOINT;`);
    live = await dataFingerprint(DB, 'lb', 'lbdb');
  });

  it("volume restore, killed in the swap: the warning's Start refuses on the half-swapped volume and keeps the record; once settled by hand it starts both", async () => {
    await killWhen(
      startChild('restoreVolume', restoreOpts()),
      async () => (await bothDown()) && entriesOfKind(await volumeLeftoverFolders(VOL), 'safety') > 0,
      20,
    );
    const leftInVolume = await volumeLeftoverFolders(VOL);
    const told = await status(folder);
    const [rec] = await interruptedStops(dir);
    const log = collectingLogger();
    // What Start in the extension's warning runs (src/extension/leftStoppedNotice.ts).
    const refused = await startLeftStopped(docker, rec, { backupDir: dir, log }).then(
      () => undefined,
      (err: unknown) => err,
    );
    const stillDown = await bothDown();
    const kept = await records();
    // What the refusal says, done by hand: the restored content out of the way, the previous moved back up.
    const aside = foldersOfKind(leftInVolume, 'safety')[0]?.[0];
    await shInVolume(
      VOL,
      `cd /data && find . -mindepth 1 -maxdepth 1 ! -name ${aside} -exec rm -rf {} + && find ${aside} -mindepth 1 -maxdepth 1 -exec mv -t /data {} + && rmdir ${aside}`,
    );
    const started = await startLeftStopped(docker, rec, { backupDir: dir, log });
    await waitHealthy(DB);
    const intact = (await dataFingerprint(DB, 'lb', 'lbdb')) === live;
    recordFault({
      operation: 'volume restore',
      fault: "kill -9 in the swap with the database and the app container stopped, then Start in the extension's warning",
      userSees: `\`lifeboat status\` (exit ${told.code}) says: ${leftStoppedLines(told.stdout).join(' ')} Start refuses: ${stableText(shown(refused), dir)} Once settled by hand, Start starts them.`,
      leftOnDisk: `${RECORD} (kept while the volume is half-swapped, removed once they run), ${Object.entries(leftInVolume)
        .map(([d, n]) => `${stableText(d, dir)} (${n} entries)`)
        .join(', ')} in the volume; both containers stopped until the volume is settled`,
      dataLost: !intact,
    });

    assert.equal(told.code, 1, told.stdout);
    assert.match(told.stdout, /Left stopped: .*interrupted volume restore .* "docker start [^"]+" does not check\./);
    assert.ok(refused instanceof InterruptedRestoreError, shown(refused));
    assert.ok(shown(refused).includes(`"${DB}"`) && shown(refused).includes(`"${WEB}"`), 'the refusal names both as left stopped');
    assert.ok(stillDown, 'nothing is started on a half-swapped volume');
    assert.deepEqual(kept, [RECORD], 'the record stays while they are down');
    assert.deepEqual([...started].sort(), [DB, WEB].sort());
    assert.ok((await running(DB)) && (await running(WEB)), 'both run again');
    assert.deepEqual(await records(), [], 'no record once they run');
    assert.deepEqual(await volumeHelpers(VOL), [], "the killed restore's helper is gone");
    assert.ok(intact, 'the previous content, moved back as the message says, is whole');
  });
});
