import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { recordFault } from './faultMatrix';
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
import {
  ProjectPostgres,
  dataFingerprint,
  docker,
  inVolume,
  psql,
  removeProjectPostgres,
  run,
  running,
  sha256,
  shInVolume,
  startProjectPostgres,
  tempDir,
  volumeHelpers,
  waitHealthy,
} from './harness';
import { killWhen } from './killWhen';

/**
 * kill -9 of a volume restore after it stopped the containers (coreChild: the core code the
 * extension host runs, in a process of its own). The next run must leave the database running
 * on one content whole, or refuse and name the stopped container with the way out; never a
 * database silently left down. A PostgreSQL container and volume of the test's own.
 */
const PROJECT = 'lifeboat-it-kill9rst';
const VOL = 'lifeboat_it_kill9rst';
const DB = 'lifeboat-it-kill9rst-db';
const P: ProjectPostgres = { project: PROJECT, volume: VOL, container: DB, port: 55481 };

const restoreFolders = () => volumeLeftoverFolders(VOL);

/** The names at the top of the volume other than the restore's own folders. */
async function topLevel(): Promise<string[]> {
  const out = await inVolume(VOL, ['ls', '-A', '/data'], { readOnly: true });
  return out.split('\n').filter((n) => n && !n.startsWith('.lifeboat-'));
}

describe('kill -9 of a volume restore after it stopped the containers (a process of its own, a scratch PostgreSQL volume)', function () {
  this.timeout(300_000);
  let dir: string;
  let snapshot: string;
  /** The live data when each test starts; the snapshot holds other content. */
  let live: string;
  let inSnapshot: string;
  let sums: Record<string, string>;

  async function snapshotsIntact(): Promise<boolean> {
    for (const [f, sum] of Object.entries(sums)) if ((await sha256(f).catch(() => '')) !== sum) return false;
    return true;
  }

  before(async () => {
    await assertCoreChildBuilt();
    await removeProjectPostgres(P);
    await startProjectPostgres(P, { 'com.docker.compose.volume': 'pgdata' });
    await psql(
      DB,
      'lb',
      'lbdb',
      `CREATE TABLE marks (id int PRIMARY KEY, body text);
      INSERT INTO marks SELECT g, md5(g::text) FROM generate_series(1, 20000) g; CHECKPOINT;`,
    );
    inSnapshot = await dataFingerprint(DB, 'lb', 'lbdb');
    dir = await tempDir('kill9rst');
    const first = await runChild('snapshotVolume', { volume: VOL, backupDir: dir });
    assert.equal(first.code, 0, `${JSON.stringify(first.out)}\n${first.log}`);
    await waitHealthy(DB);
    const snaps = join(dir, 'volumes');
    snapshot = join(
      snaps,
      (await fs.readdir(snaps)).find((f) => f.endsWith('.tar.gz'))!,
    );
    sums = {};
    for (const f of await fs.readdir(snaps)) sums[join(snaps, f)] = await sha256(join(snaps, f));
    // The live data moves on after the snapshot, so old and new content can be told apart.
    await psql(DB, 'lb', 'lbdb', `INSERT INTO marks SELECT g, 'after the snapshot' FROM generate_series(20001, 20500) g; CHECKPOINT;`);
    live = await dataFingerprint(DB, 'lb', 'lbdb');
    assert.notEqual(live, inSnapshot);
  });

  after(async () => {
    await removeProjectPostgres(P);
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  beforeEach(async () => {
    assert.ok(await running(DB), 'the database runs before the kill');
    assert.equal(await dataFingerprint(DB, 'lb', 'lbdb'), live);
  });

  /** The containers stopped, the staged copy whole and the safety folder made but still empty. */
  const stoppedBeforeSwap = async () => {
    if (await running(DB)) return false;
    const f = await restoreFolders();
    return foldersOfKind(f, 'safety').length === 1 && entriesOfKind(f, 'safety') === 0;
  };

  const restoreOpts = () => ({ volume: VOL, file: snapshot, backupDir: dir, healthTimeoutMs: 60_000 });

  it('kill -9 with the containers stopped, before the swap moves anything: the next snapshot removes the copies and starts the database on its data', async () => {
    await killWhen(startChild('restoreVolume', restoreOpts()), stoppedBeforeSwap, 20);
    const left = await restoreFolders();
    const {
      dbDown,
      next,
      logged,
      fingerprint: now,
    } = await afterKill({
      db: DB,
      dir,
      next: () => runChild('snapshotVolume', { volume: VOL, backupDir: dir }),
    });
    const intact = now === live && (await snapshotsIntact());
    recordFault({
      operation: 'volume restore',
      fault: 'kill -9 with the containers stopped, before the swap moves anything (staged copy whole, safety folder empty)',
      userSees: `nothing from the killed process; the database container stays stopped until the next snapshot or restore of the volume, whose run (exit ${next.code}) logs: ${logged.join(' ')}`,
      leftOnDisk: `${Object.keys(left)
        .map((d) => stableText(d, dir))
        .join(', ')} in the volume (copies: removed by the next run), ${DB} stopped (started by the next run on its previous data)`,
      dataLost: !intact,
    });
    assert.ok(dbDown, 'the killed restore had the database stopped');
    assert.equal(entriesOfKind(left, 'safety'), 0, 'killed before the swap moved anything');
    assert.equal(next.code, 0, `${JSON.stringify(next.out)}\n${next.log}`);
    assert.ok(
      logged.some((l) => l.startsWith(`Starting ${DB} again: stopped by an interrupted volume restore`)),
      next.log,
    );
    assert.ok(
      logged.some((l) => /removed .*\.lifeboat-restore-<id>.*left by an interrupted restore/.test(l)),
      next.log,
    );
    assert.ok(intact, 'the database holds its previous data whole; the snapshots are unchanged');
    assert.deepEqual(await restoreFolders(), {});
    assert.deepEqual(await volumeHelpers(VOL), []);
  });

  it('kill -9 in the swap (previous content moved aside, database stopped): the next snapshot refuses, names the stopped database and how to settle; done by hand, nothing is lost', async () => {
    await killWhen(
      startChild('restoreVolume', restoreOpts()),
      async () => {
        if (await running(DB)) return false;
        return entriesOfKind(await restoreFolders(), 'safety') > 0;
      },
      20,
    );
    const left = await restoreFolders();
    const next = await runChild('snapshotVolume', { volume: VOL, backupDir: dir });
    const stillDown = !(await running(DB));
    const error = next.out.error ?? '';
    // What the message says, done by hand: the previous content back up, then the container started.
    const aside = foldersOfKind(left, 'safety')[0]?.[0];
    await shInVolume(
      VOL,
      `cd /data && find . -mindepth 1 -maxdepth 1 ! -name ${aside} -exec rm -rf {} + && find ${aside} -mindepth 1 -maxdepth 1 -exec mv -t /data {} + && rmdir ${aside}`,
    );
    await run('docker', ['start', DB]);
    await waitHealthy(DB);
    const intact = (await dataFingerprint(DB, 'lb', 'lbdb')) === live && (await snapshotsIntact());
    recordFault({
      operation: 'volume restore',
      fault: 'kill -9 in the swap, the previous content moved aside and the database container stopped',
      userSees: `nothing from the killed process; the next snapshot of the volume (exit ${next.code}) refuses: ${stableText(error, dir)}`,
      leftOnDisk: `${Object.entries(left)
        .map(([d, n]) => `${stableText(d, dir)} (${n} entries)`)
        .join(', ')} in the volume; ${DB} stopped until the user settles the volume as the message says`,
      dataLost: !intact,
    });
    assert.ok(entriesOfKind(left, 'safety') > 0, 'killed with the previous content aside');
    assert.equal(next.code, 1, next.log);
    assert.match(error, /still holds the previous content of an interrupted restore/);
    assert.ok(error.includes(`left "${DB}" stopped`), error);
    assert.ok(error.includes(`docker start ${DB}`), error);
    assert.ok(stillDown, 'nothing is started on a half-swapped volume');
    assert.ok(intact, 'the previous content, moved back as the message says, is whole');
    await run('docker', ['rm', '-f', ...(await volumeHelpers(VOL))]).catch(() => undefined);
  });

  it('kill -9 with the containers stopped, before the swap: the next restore removes the copies, restores and starts the database', async () => {
    await killWhen(startChild('restoreVolume', restoreOpts()), stoppedBeforeSwap, 20);
    const {
      dbDown,
      next,
      logged,
      fingerprint: now,
    } = await afterKill({ db: DB, dir, next: () => runChild('restoreVolume', restoreOpts()) });
    const intact = (now === inSnapshot || now === live) && (await snapshotsIntact());
    recordFault({
      operation: 'volume restore',
      fault: 'kill -9 with the containers stopped, before the swap; then the restore run again',
      userSees: `nothing from the killed process; the next restore (exit ${next.code}) logs: ${logged.join(' ')}`,
      leftOnDisk: `the copies in the volume (removed by the next restore), ${DB} stopped (started by the next restore on the restored data)`,
      dataLost: !intact,
    });
    assert.ok(dbDown);
    assert.equal(next.code, 0, `${JSON.stringify(next.out)}\n${next.log}`);
    assert.ok(
      logged.some((l) => l.startsWith(`${DB} was left stopped by an interrupted volume restore`)),
      next.log,
    );
    assert.equal(now, inSnapshot, 'the volume holds the restored content whole');
    assert.ok(await running(DB));
    assert.ok(intact);
    // The detached removal of the previous content finishes on its own.
    for (let i = 0; i < 60 && Object.keys(await restoreFolders()).length; i++) await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual(await restoreFolders(), {});
    // The next test starts from live data that differs from the snapshot again.
    await psql(DB, 'lb', 'lbdb', `INSERT INTO marks SELECT g, 'after the restore' FROM generate_series(20001, 20300) g; CHECKPOINT;`);
    live = await dataFingerprint(DB, 'lb', 'lbdb');
  });

  it('kill -9 while it rolls back a restore whose data would not start: the next snapshot refuses, says the previous content is whole aside and how to bring it up; done, nothing is lost', async () => {
    // PG_VERSION alone: the entrypoint skips initdb and PostgreSQL then exits, so the restore rolls back.
    const src = await tempDir('brokenpg');
    await fs.writeFile(join(src, 'PG_VERSION'), '15\n');
    const broken = join(dir, 'broken-pgdata.tar.gz');
    await run('tar', ['-czf', broken, '-C', src, '.']);
    await fs.rm(src, { recursive: true, force: true });
    const startedBefore = (await docker.getContainer(DB).inspect()).State.StartedAt;
    await killWhen(
      startChild('restoreVolume', { ...restoreOpts(), file: broken, healthTimeoutMs: 30_000 }),
      async () => {
        const state = (await docker.getContainer(DB).inspect()).State;
        // The database was started on the restored data and has stopped: the rollback runs.
        if (state.Running || state.StartedAt === startedBefore) return false;
        const f = await restoreFolders();
        // The restored content removed, the previous one not yet moved up.
        return foldersOfKind(f, 'restore').length === 0 && entriesOfKind(f, 'safety') > 0 && (await topLevel()).length === 0;
      },
      20,
    );
    const left = await restoreFolders();
    const next = await runChild('snapshotVolume', { volume: VOL, backupDir: dir });
    const stillDown = !(await running(DB));
    const error = next.out.error ?? '';
    // What the message says, done by hand: the previous content moved up, the container started.
    const aside = foldersOfKind(left, 'safety')[0]?.[0];
    await shInVolume(VOL, `cd /data && find ${aside} -mindepth 1 -maxdepth 1 -exec mv -t /data {} + && rmdir ${aside}`);
    await run('docker', ['start', DB]);
    await waitHealthy(DB);
    const intact = (await dataFingerprint(DB, 'lb', 'lbdb')) === live && (await snapshotsIntact());
    recordFault({
      operation: 'volume restore',
      fault: 'kill -9 while it rolls back (the restored data would not start; the restored content removed, the previous not yet moved up)',
      userSees: `nothing from the killed process; the next snapshot of the volume (exit ${next.code}) refuses: ${stableText(error, dir)}`,
      leftOnDisk: `${Object.entries(left)
        .map(([d, n]) => `${stableText(d, dir)} (${n} entries)`)
        .join(', ')} in the volume and nothing else; ${DB} stopped until the user moves the previous content up as the message says`,
      dataLost: !intact,
    });
    assert.ok(entriesOfKind(left, 'safety') > 0, 'killed with the previous content aside');
    assert.equal(next.code, 1, next.log);
    assert.match(error, /still holds the previous content of an interrupted restore/);
    assert.match(error, /Nothing else is at the top of the volume: the previous content is whole in that folder/);
    assert.match(error, /move the entries of \/data\/\.lifeboat-safety-[0-9a-f]+ up into \/data and delete the empty folder/);
    assert.ok(error.includes(`docker start ${DB}`), error);
    assert.ok(stillDown, 'nothing is started on a half-swapped volume');
    assert.ok(intact, 'the previous content, moved up as the message says, is whole');
    await run('docker', ['rm', '-f', ...(await volumeHelpers(VOL))]).catch(() => undefined);
  });

  it('kill -9 while it re-creates a lost volume: the next snapshot refuses the fragment, the next restore replaces it whole', async () => {
    // `docker compose down -v`: the container and the volume are gone; the snapshot file is all there is.
    await run('docker', ['rm', '-f', DB]);
    await run('docker', ['volume', 'rm', VOL]);
    const snapshotsBefore = (await fs.readdir(join(dir, 'volumes'))).filter((f) => f.endsWith('.tar.gz')).length;
    const opts = { volume: VOL, file: snapshot, backupDir: dir, recreateMissing: true, helperImage: 'lifeboat/helper:latest' };
    await killWhen(
      startChild('restoreVolume', opts),
      async () => {
        if (
          !(await docker
            .getVolume(VOL)
            .inspect()
            .then(
              () => true,
              () => false,
            ))
        )
          return false;
        // Some of the snapshot is in, not all of it yet (the marker still there).
        const top = await inVolume(VOL, ['ls', '-A', '/data'], { readOnly: true }).catch(() => '');
        return top.includes('.lifeboat-recreate-') && top.split('\n').filter((n) => n && !n.startsWith('.lifeboat-')).length > 0;
      },
      20,
    );
    const partly = (await topLevel()).length;
    const snap = await runChild('snapshotVolume', { volume: VOL, backupDir: dir, helperImage: 'lifeboat/helper:latest' });
    const snapshotsAfter = (await fs.readdir(join(dir, 'volumes'))).filter((f) => f.endsWith('.tar.gz')).length;
    const next = await runChild('restoreVolume', { ...opts, recreateMissing: false });
    await startProjectPostgres(P);
    const now = await dataFingerprint(DB, 'lb', 'lbdb');
    const intact = now === inSnapshot && (await snapshotsIntact());
    const logged = next.log
      .split('\n')
      .filter((l) => /interrupted/.test(l))
      .map((l) => stableText(l.replace(/^\w+ /, ''), dir));
    recordFault({
      operation: 'volume restore',
      fault: 'kill -9 while it re-creates a lost volume from a snapshot (a part of the snapshot in)',
      userSees: `nothing from the killed process; the next snapshot of the volume (exit ${snap.code}) refuses: ${stableText(snap.out.error ?? '', dir)} The next restore (exit ${next.code}) logs: ${logged.join(' ')}`,
      leftOnDisk: `the volume with ${partly} top-level entries of the snapshot and its .lifeboat-recreate-<id> marker (replaced whole by the next restore); the snapshot file unchanged`,
      dataLost: !intact,
    });
    assert.ok(partly > 0, 'killed with a part of the snapshot in');
    assert.equal(snap.code, 1, snap.log);
    assert.match(snap.out.error ?? '', /holds only a part of a snapshot: an interrupted restore was re-creating it/);
    assert.match(snap.out.error ?? '', /Restore the snapshot again/);
    assert.equal(snapshotsAfter, snapshotsBefore, 'no snapshot of the fragment');
    assert.equal(next.code, 0, `${JSON.stringify(next.out)}\n${next.log}`);
    assert.ok(
      logged.some((l) => /holds only a part of a snapshot \(an interrupted restore was re-creating it\); this restore replaces it/.test(l)),
      next.log,
    );
    assert.equal(now, inSnapshot, 'the volume holds the snapshot whole');
    assert.ok(intact);
    for (let i = 0; i < 60 && Object.keys(await restoreFolders()).length; i++) await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual(await restoreFolders(), {});
  });
});
