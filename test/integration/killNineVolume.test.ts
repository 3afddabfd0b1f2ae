import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { verifyBackup } from '../../src/core/verify';
import { snapshotVolume } from '../../src/core/volume';
import { recordFault, shown } from './faultMatrix';
import { afterKill, assertCoreChildBuilt, entriesOfKind, runChild, stableText, startChild, volumeLeftoverFolders } from './afterKill';
import {
  ProjectPostgres,
  dataFingerprint,
  docker,
  psql,
  removeProjectPostgres,
  run,
  running,
  sha256,
  startProjectPostgres,
  untilPartialGrows,
  tempDir,
  volumeHelpers,
  waitHealthy,
} from './harness';
import { exited, killWhen } from './killWhen';

/**
 * kill -9 of a volume snapshot at each phase, the snapshot running in a process of its own
 * (coreChild: the core code the extension host runs). The database container is stopped for
 * the copy, and a killed process never starts it again: the next snapshot of the volume must,
 * and must also remove the partial file and the helper container the killed one left.
 * A PostgreSQL container and volume of the test's own, never the demo stack's.
 */
const PROJECT = 'lifeboat-it-kill9vol';
const VOL = 'lifeboat_it_kill9vol';
const DB = 'lifeboat-it-kill9vol-db';
const PORT = 55497;
const OPERATION = 'volume snapshot';

const P: ProjectPostgres = { project: PROJECT, volume: VOL, container: DB, port: PORT };

function snapshotOpts(dir: string): object {
  return { volume: VOL, backupDir: dir };
}

/** Entries held by the restore's copies in the volume (staged and kept-aside content), by kind. */
async function leftoverKinds(): Promise<{ restore: number; safety: number }> {
  const folders = await volumeLeftoverFolders(VOL);
  return { restore: entriesOfKind(folders, 'restore'), safety: entriesOfKind(folders, 'safety') };
}

async function files(dir: string): Promise<string[]> {
  return (await fs.readdir(dir).catch(() => [] as string[])).sort();
}

describe('kill -9 of a volume snapshot at each phase (a process of its own, a scratch PostgreSQL volume)', function () {
  this.timeout(300_000);
  let dir: string;
  let snaps: string;
  let fingerprint: string;
  let older: Record<string, string>;

  before(async () => {
    await assertCoreChildBuilt();
    await removeProjectPostgres(P);
    await startProjectPostgres(P, { 'com.docker.compose.volume': 'pgdata' });
    // About 40 MB of rows that gzip poorly, on top of the cluster's own files: a copy long
    // enough to be caught in the middle.
    await psql(
      DB,
      'lb',
      'lbdb',
      `CREATE TABLE blobs (id int PRIMARY KEY, body text);
      INSERT INTO blobs SELECT g, (SELECT string_agg(md5(g::text || ':' || i), '') FROM generate_series(1, 12) i) FROM generate_series(1, 100000) g;
      CHECKPOINT;`,
    );
    fingerprint = await dataFingerprint(DB, 'lb', 'lbdb');
    dir = await tempDir('kill9vol');
    snaps = join(dir, 'volumes');
    const first = await runChild('snapshotVolume', snapshotOpts(dir));
    assert.equal(first.code, 0, `${JSON.stringify(first.out)}\n${first.log}`);
    await waitHealthy(DB);
  });

  after(async () => {
    await removeProjectPostgres(P);
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  beforeEach(async () => {
    older = {};
    for (const f of await files(snaps)) if (!f.startsWith('.')) older[f] = await sha256(join(snaps, f));
    assert.ok(
      Object.keys(older).some((f) => f.endsWith('.tar.gz')),
      'an older snapshot to protect',
    );
    assert.ok(await running(DB), 'the database runs before the kill');
  });

  const partialIn = async () => (await files(snaps)).find((f) => f.endsWith('.partial'));

  /** What the kill left, then the next snapshot: it must start the database, clean up and succeed. */
  async function killedSnapshot(fault: string, expect: { partial: boolean }): Promise<void> {
    const left = await files(snaps);
    const partials = left.filter((f) => f.endsWith('.partial'));
    const finals = left.filter((f) => !f.startsWith('.') && !(f in older));
    const locks = (await files(dir)).filter((f) => f.endsWith('.lock'));
    const helpersLeft = await volumeHelpers(VOL);
    let intact = true;
    for (const [f, sum] of Object.entries(older)) intact &&= (await sha256(join(snaps, f)).catch(() => '')) === sum;

    const {
      dbDown,
      next,
      logged,
      fingerprint: after,
    } = await afterKill({
      db: DB,
      dir,
      next: () => runChild('snapshotVolume', snapshotOpts(dir)),
      logged: /again: stopped by an interrupted|left by an interrupted/,
    });
    for (const [f, sum] of Object.entries(older)) intact &&= (await sha256(join(snaps, f)).catch(() => '')) === sum;
    intact &&= after === fingerprint;
    const now = await files(snaps);
    recordFault({
      operation: OPERATION,
      fault,
      userSees: `nothing from the killed process; ${dbDown ? `the database container stays stopped until the next snapshot or restore of the volume, whose run (exit ${next.code}) logs` : `the next run (exit ${next.code}) logs`}: ${logged.join(' ') || 'nothing more'}`,
      leftOnDisk:
        [
          ...partials.map((p) => `${stableText(p, dir)} (removed by the next run)`),
          ...locks.map((l) => `${l} (naming the dead process: taken over by the next run)`),
          ...helpersLeft.map(() => 'a helper container, never started (removed by the next run)'),
          ...(dbDown ? [`${DB} stopped (started by the next run)`] : []),
        ].join(', ') || 'nothing',
      dataLost: !intact,
    });

    assert.ok(intact, 'the older snapshots and the database are as they were');
    assert.deepEqual(finals, [], 'no final-named file from the killed run');
    assert.equal(partials.length, expect.partial ? 1 : 0, `partials left: ${partials.join(', ')}`);
    assert.ok(dbDown, 'the killed run had the database stopped');
    assert.equal(next.code, 0, `${JSON.stringify(next.out)}\n${next.log}`);
    assert.ok(
      logged.some((l) => l.startsWith(`Starting ${DB} again`)),
      `the next run says it starts ${DB} again:\n${next.log}`,
    );
    for (const p of partials) assert.ok(next.log.includes(`Removed ${join(snaps, p)}`), `the next run names ${p} as removed:\n${next.log}`);
    assert.ok(await running(DB), 'the database runs again');
    assert.deepEqual(
      now.filter((f) => f.endsWith('.partial')),
      [],
      'no partial after the next run',
    );
    assert.equal(now.filter((f) => f.endsWith('.tar.gz') && !(f in older)).length, 1, 'the next run made one snapshot');
    assert.deepEqual(await volumeHelpers(VOL), [], 'no helper container after the next run');
    assert.deepEqual(
      (await files(dir)).filter((f) => f.endsWith('.lock')),
      [],
      'no lock after the next run',
    );
  }

  it('kill -9 with the database stopped, before the copy starts: the next snapshot starts it again and succeeds', async () => {
    const child = startChild('snapshotVolume', snapshotOpts(dir));
    await killWhen(child, async () => !(await running(DB)) && !(await partialIn()), 20);
    await killedSnapshot('kill -9 with the database container stopped, before the copy starts', { partial: false });
  });

  it('kill -9 while the snapshot streams: the partial and the helper are removed and the database started by the next snapshot', async () => {
    const child = startChild('snapshotVolume', snapshotOpts(dir));
    const gone = exited(child);
    await untilPartialGrows(snaps, 1024 * 1024);
    child.kill('SIGKILL');
    assert.equal(await gone, 'SIGKILL');
    await killedSnapshot('kill -9 while the snapshot streams (partial over 1 MB, database container stopped)', { partial: true });
  });

  it('volume restore: kill -9 while the snapshot is staged beside the live data: the database keeps running; the next snapshot removes the staging copy and the helper', async () => {
    const file = join(
      snaps,
      Object.keys(older)
        .filter((f) => f.endsWith('.tar.gz'))
        .sort()[0],
    );
    const child = startChild('restoreVolume', { volume: VOL, file, backupDir: dir });
    // Stopped between looks, so the staging cannot run on into the swap while a look is made.
    await killWhen(child, async () => (await leftoverKinds()).restore >= 1 && (await running(DB)), 50);
    const leftInVolume = await leftoverKinds();
    const helpersLeft = await volumeHelpers(VOL);
    const locks = (await files(dir)).filter((f) => f.endsWith('.lock'));
    const dbUp = await running(DB);
    let intact = dbUp && (await dataFingerprint(DB, 'lb', 'lbdb')) === fingerprint;

    const {
      next,
      logged,
      fingerprint: now,
    } = await afterKill({
      db: DB,
      dir,
      next: () => runChild('snapshotVolume', snapshotOpts(dir)),
      logged: /left by an interrupted/,
    });
    intact &&= now === fingerprint;
    for (const [f, sum] of Object.entries(older)) intact &&= (await sha256(join(snaps, f)).catch(() => '')) === sum;
    const after = await volumeLeftoverFolders(VOL);
    recordFault({
      operation: 'volume restore',
      fault: 'kill -9 while the snapshot is staged beside the live data (containers not stopped yet)',
      userSees: `nothing from the killed process; the database keeps running on its data; the next snapshot of the volume (exit ${next.code}) logs: ${logged.join(' ') || 'nothing more'}`,
      leftOnDisk: [
        ...Object.entries(leftInVolume)
          .filter(([, n]) => n > 0)
          .map(([k, n]) => `.lifeboat-${k}-<id> in the volume (${n} entries, a copy: removed by the next snapshot or restore)`),
        ...helpersLeft.map(() => "the restore's helper container (removed by the next snapshot or restore)"),
        ...locks.map((l) => `${l} (naming the dead process: taken over by the next run)`),
      ].join(', '),
      dataLost: !intact,
    });

    assert.ok(intact, 'the database, its data and the older snapshots are as they were');
    assert.ok(dbUp, 'the restore had not stopped the database yet');
    assert.ok(helpersLeft.length >= 1, 'the killed restore left its helper');
    assert.equal(next.code, 0, `${JSON.stringify(next.out)}\n${next.log}`);
    assert.deepEqual(after, {}, 'no staging or safety folder in the volume after the next snapshot');
    assert.deepEqual(await volumeHelpers(VOL), [], 'no helper container after the next snapshot');
    assert.ok(
      logged.some((l) => /removed \.lifeboat-restore-<id>, left by an interrupted restore/.test(l)),
      next.log,
    );
  });

  it('the helper container removed (docker rm -f) while the snapshot streams: a clear error or a whole, verified snapshot, never a partial; the database started again', async () => {
    let saw = '';
    const snap = snapshotVolume(docker, { volume: VOL, backupDir: dir }).then(
      () => 'finished',
      (err: unknown) => {
        saw = shown(err);
        return 'failed';
      },
    );
    await untilPartialGrows(snaps, 1024 * 1024);
    const killed = await volumeHelpers(VOL);
    for (const h of killed) await run('docker', ['rm', '-f', h]);
    const outcome = await snap;
    await waitHealthy(DB);
    const left = await files(snaps);
    let intact = (await dataFingerprint(DB, 'lb', 'lbdb')) === fingerprint;
    for (const [f, sum] of Object.entries(older)) intact &&= (await sha256(join(snaps, f)).catch(() => '')) === sum;
    const extra = left.filter((f) => !(f in older));
    // Docker may finish streaming an archive it has begun after the container is gone: then
    // the snapshot must be a whole one (its tar proven complete while it was written).
    const made = extra.filter((f) => f.endsWith('.tar.gz'));
    const verified = made.length === 1 ? await verifyBackup(join(snaps, made[0]), { depth: 'quick' }) : undefined;
    const stable = (t: string) => stableText(t, dir);
    recordFault({
      operation: OPERATION,
      fault: 'its helper container removed (docker rm -f) while the snapshot streams',
      userSees:
        outcome === 'failed'
          ? stable(saw)
          : `nothing: Docker finished the archive it had begun; the snapshot is whole (quick verify: ${verified?.ok ? 'OK' : verified?.problem})`,
      leftOnDisk:
        outcome === 'failed'
          ? extra.join(', ') || `nothing new; ${DB} running again`
          : `the new snapshot and its manifest; ${DB} running again`,
      dataLost: !intact,
    });
    assert.equal(killed.length, 1, 'one helper was copying');
    if (outcome === 'failed') assert.deepEqual(extra, [], 'no partial and no final-named file');
    else assert.equal(verified?.ok, true, `a finished snapshot verifies: ${verified?.problem}`);
    assert.deepEqual(
      extra.filter((f) => f.endsWith('.partial')),
      [],
      'no partial',
    );
    assert.ok(intact, 'the database and the older snapshots are as they were');
    assert.ok(await running(DB), 'the database runs again');
    assert.doesNotMatch(saw, /^(Error|TypeError)\b/);
  });
});
