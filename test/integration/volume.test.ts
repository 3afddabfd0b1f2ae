import * as assert from 'node:assert/strict';
import { createWriteStream, promises as fs } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import * as tar from 'tar-stream';
import { encryptFile } from '../../src/core/encryption';
import type { KeyProvider } from '../../src/core/encryption';
import { CryptoError } from '../../src/core/crypto';
import { Stack, discoverStack } from '../../src/core/stack';
import { recordFault, shown } from './faultMatrix';
import { CancelledError, LifeboatError, LockedError, formatCountOf, silentLogger } from '../../src/core/common';
import { waitForVolumeCleanup, InterruptedRestoreError, restoreVolume, VolumeManifest, snapshotVolume } from '../../src/core/volume';
import { readManifest, writeManifest } from '../../src/core/store';
import { verifyBackup } from '../../src/core/verify';
import {
  HELPER_IMAGE,
  ProjectPostgres,
  collectingLogger,
  dataFingerprint,
  docker,
  inVolume,
  psql,
  run,
  running,
  sha256,
  shInVolume,
  startProjectPostgres,
  tempDir,
  waitHealthy,
} from './harness';

/**
 * Volume snapshots and restores against the real engine, on a PostgreSQL container and volume
 * of their own (never the demo stack's sms-db or sms_postgres_data). The container carries
 * Compose labels of a made-up project, so the project rules (who is stopped, who is an
 * outsider) are exercised exactly as with a real Compose stack.
 */
const PROJECT = 'lifeboat-it-volproj';
const VOL = 'lifeboat_it_vol';
const PLAIN = 'lifeboat_it_vol_plain';
const UNUSED = 'lifeboat_it_vol_unused';
const DB = 'lifeboat-it-vol';
const OUTSIDER = 'lifeboat-it-vol-outsider';
const HELPER = HELPER_IMAGE;
const P: ProjectPostgres = { project: PROJECT, volume: VOL, container: DB, port: 55495 };

async function startedAt(name: string): Promise<string> {
  return (await docker.getContainer(name).inspect()).State.StartedAt;
}

/** `stat` of a path in a volume, through a throwaway helper (uid:gid:octal mode). */
async function statInVolume(volume: string, path = '/data'): Promise<string> {
  return (await inVolume(volume, ['stat', '-c', '%u:%g:%a', path])).trim();
}

async function helpersLeft(): Promise<string[]> {
  // A restore's detached removal of the previous content removes itself when done.
  for (const v of [VOL, PLAIN]) await waitForVolumeCleanup(docker, v, silentLogger);
  const { stdout } = await run('docker', [
    'ps',
    '-a',
    '--filter',
    'label=io.lifeboat.helper',
    '--format',
    '{{.Names}} {{.Label "io.lifeboat.volume"}}',
  ]);
  return stdout.split('\n').filter((l) => l.includes('lifeboat_it_vol'));
}

/** Top-level names in a volume that a restore would have left behind (staging or safety folders). */
async function lifeboatLeftovers(volume: string): Promise<string[]> {
  await waitForVolumeCleanup(docker, volume, silentLogger);
  return (await inVolume(volume, ['ls', '-A', '/data'], { readOnly: true })).split('\n').filter((n) => n.startsWith('.lifeboat-'));
}

async function listing(dir: string): Promise<string[]> {
  return (await fs.readdir(join(dir, 'volumes')).catch(() => [] as string[])).sort();
}

interface FixtureEntry {
  name: string;
  type?: 'file' | 'directory' | 'symlink' | 'link';
  body?: string;
  linkname?: string;
  mode?: number;
  uid?: number;
  gid?: number;
}

/** A tiny .tar.gz written with tar-stream, fixed mtimes (golden-fixture style). */
async function tarGz(path: string, entries: FixtureEntry[]): Promise<void> {
  const pack = tar.pack();
  const done = pipeline(pack, createGzip(), createWriteStream(path));
  for (const e of entries) {
    const type = e.type ?? 'file';
    const header = {
      name: e.name,
      type,
      linkname: e.linkname,
      mode: e.mode ?? (type === 'directory' ? 0o755 : 0o644),
      uid: e.uid ?? 0,
      gid: e.gid ?? 0,
      mtime: new Date('2024-01-01T00:00:00Z'),
    };
    await new Promise<void>((resolve, reject) => {
      if (type === 'file') pack.entry(header, e.body ?? '', (err) => (err ? reject(err) : resolve()));
      else pack.entry(header, (err) => (err ? reject(err) : resolve()));
    });
  }
  pack.finalize();
  await done;
}

describe('volume snapshot and restore (own PostgreSQL container and volume)', function () {
  this.timeout(300_000);
  let stack: Stack;
  let dir: string;
  let snapshot: string;
  let original: string;

  async function cleanup(): Promise<void> {
    await run('docker', ['rm', '-f', DB, OUTSIDER]).catch(() => undefined);
    const { stdout } = await run('docker', ['ps', '-aq', '--filter', 'label=io.lifeboat.helper']);
    for (const id of stdout.split('\n').filter(Boolean)) {
      const { stdout: vol } = await run('docker', ['inspect', '-f', '{{index .Config.Labels "io.lifeboat.volume"}}', id]);
      if (vol.startsWith('lifeboat_it_vol')) await run('docker', ['rm', '-f', '-v', id]).catch(() => undefined);
    }
    for (const v of [VOL, PLAIN, UNUSED]) await run('docker', ['volume', 'rm', '-f', v]).catch(() => undefined);
  }

  before(async () => {
    await cleanup();
    await startProjectPostgres(P, { 'com.docker.compose.volume': 'pgdata', 'com.docker.compose.version': '1.29.2' });
    await psql(
      DB,
      'lb',
      'lbdb',
      `CREATE TABLE items (id int PRIMARY KEY, name text);
      INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 5000) g;
      CREATE TABLE notes (id serial PRIMARY KEY, body text);
      INSERT INTO notes (body) SELECT md5(g::text) FROM generate_series(1, 300) g;
      CHECKPOINT;`,
    );
    stack = await discoverStack(docker, { composeProject: PROJECT });
    assert.equal(stack.db.name, DB);
    dir = await tempDir('vol');
  });

  after(async () => {
    await cleanup();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it('snapshots the volume to a private, checked .tar.gz with a manifest, and starts the database again (contracts 1, 5)', async () => {
    original = await dataFingerprint(DB, 'lb', 'lbdb');
    const rootBefore = await statInVolume(VOL);
    const log = collectingLogger();
    const phases = new Set<string>();
    const result = await snapshotVolume(docker, { volume: VOL, backupDir: dir, logger: log, progress: (p) => phases.add(p.phase) });
    snapshot = result.path;

    assert.match(result.path, /\/volumes\/volume_lifeboat_it_vol_\d{8}_\d{6}\.tar\.gz$/);
    assert.equal((await fs.stat(dir)).mode & 0o777, 0o700);
    assert.equal((await fs.stat(join(dir, 'volumes'))).mode & 0o777, 0o700);
    assert.equal((await fs.stat(result.path)).mode & 0o777, 0o600);
    const name = result.path.split('/').pop()!;
    assert.deepEqual(await listing(dir), [name, `${name}.json`]);
    assert.deepEqual(result.stopped, [DB], 'a PostgreSQL volume is copied with the database stopped');
    assert.deepEqual(
      [...phases].map((p) => p.replace(/ .*/, '')),
      ['Stopping', 'Copying', 'Starting'],
      'the progress says when the database stops and starts again',
    );
    assert.deepEqual(
      [...phases].filter((p) => !p.startsWith('Copying')),
      [`Stopping ${DB}…`, `Starting ${DB}…`],
    );

    const m = (await readManifest(result.path)).manifest as VolumeManifest;
    assert.equal(m.kind, 'volume');
    assert.equal(m.source.volume, VOL);
    assert.equal(m.source.project, PROJECT);
    assert.equal(m.file.sha256, await sha256(result.path));
    assert.equal(m.file.bytes, (await fs.stat(result.path)).size);
    assert.ok(m.entryCount > 500, `a PostgreSQL data folder has many entries: ${m.entryCount}`);
    assert.ok(m.dataBytes > 20_000_000, `and tens of MB: ${m.dataBytes}`);
    assert.deepEqual(m.stoppedContainers, [DB]);
    assert.equal(m.volumeDriver.driver, 'local');
    assert.equal(m.volumeDriver.labels['com.docker.compose.project'], PROJECT);
    const [uid, gid, mode] = rootBefore.split(':');
    assert.deepEqual(m.volumeRoot, { uid: Number(uid), gid: Number(gid), mode: parseInt(mode, 8) });
    assert.notEqual(m.volumeRoot?.uid, 0, 'PGDATA belongs to the postgres user');

    // The runbook's tools read it: `tar -tzf` lists PG_VERSION.
    const { stdout } = await run('tar', ['-tzf', result.path], { maxBuffer: 64 * 1024 * 1024 });
    assert.ok(stdout.split('\n').includes('./PG_VERSION'), stdout.slice(0, 200));
    assert.equal(stdout.split('\n').filter(Boolean).length, m.entryCount);

    assert.ok(await running(DB));
    await waitHealthy(DB);
    assert.equal(await dataFingerprint(DB, 'lb', 'lbdb'), original);
    assert.deepEqual(await helpersLeft(), []);
  });

  it('a quick verify of the snapshot checks it against its manifest: sha256, entries, bytes', async () => {
    // The same name one second later: a valid time (CI once made "041860" by adding 1 to 041859).
    const copy = snapshot.replace(/_(\d{8})_(\d{6})\.tar\.gz$/, (_m, d: string, t: string) => {
      const at = new Date(Date.UTC(+d.slice(0, 4), +d.slice(4, 6) - 1, +d.slice(6), +t.slice(0, 2), +t.slice(2, 4), +t.slice(4) + 1));
      return `_${at.toISOString().replace(/[-:]/g, '').replace('T', '_').slice(0, 15)}.tar.gz`;
    });
    const r = await verifyBackup(snapshot, { depth: 'quick' });
    assert.equal(r.ok, true, r.problem);
    const m = (await readManifest(snapshot)).manifest as VolumeManifest;
    assert.ok(r.checks.includes('sha256 matches the manifest'));
    assert.ok(
      // Counts read as the user reads them ("1,234 entries"), through the one formatter.
      r.checks.some((c) => c.startsWith(`${formatCountOf(m.entryCount, 'entry', 'entries')}, ${formatCountOf(m.fileCount, 'file')}`)),
      r.checks.join('; '),
    );
    // A copy cut short, with the same manifest, fails and says so.
    const full = await fs.readFile(snapshot);
    await fs.writeFile(copy, full.subarray(0, full.length - 1000));
    await writeManifest(copy, m);
    const bad = await verifyBackup(copy, { depth: 'quick' });
    assert.equal(bad.ok, false);
    assert.match(bad.problem ?? '', /it was truncated after it was made/);
    await fs.rm(copy);
    await fs.rm(`${copy}.json`);
  });

  it('restores the snapshot: staged while the database runs, swapped, the same rows come back, the previous content removed once healthy (contract 3)', async () => {
    await psql(
      DB,
      'lb',
      'lbdb',
      `DELETE FROM items WHERE id > 100; UPDATE notes SET body = 'changed'; CREATE TABLE extra (x int); INSERT INTO extra VALUES (1);`,
    );
    const changed = await dataFingerprint(DB, 'lb', 'lbdb');
    assert.notEqual(changed, original);
    const labelsBefore = (await docker.getVolume(VOL).inspect()).Labels;
    const rootBefore = await statInVolume(VOL);
    const files = await listing(dir);

    const log = collectingLogger();
    const phases: string[] = [];
    const result = await restoreVolume(docker, {
      volume: VOL,
      file: snapshot,
      backupDir: dir,
      stack,
      logger: log,
      healthTimeoutMs: 120_000,
      progress: (p) => {
        if (phases.at(-1) !== p.phase) phases.push(p.phase);
      },
    });

    await waitHealthy(DB);
    assert.equal(await dataFingerprint(DB, 'lb', 'lbdb'), original);
    assert.deepEqual(result.restarted, [DB]);
    assert.equal(result.safety, undefined, 'no snapshot file unless asked');
    assert.match(result.previous ?? '', /kept aside in the volume until the containers were healthy, then removed/);
    const at = (prefix: string) => phases.findIndex((p) => p.startsWith(prefix));
    assert.ok(at('Restoring') >= 0 && at('Restoring') < at('Stopping'), `staged before the database stops: ${phases.join(' | ')}`);
    assert.ok(at('Stopping') < at('Swapping') && at('Swapping') < at('Starting'), phases.join(' | '));
    // The previous content is removed in the background; a snapshot right away waits for that.
    const next = await snapshotVolume(docker, { volume: VOL, backupDir: dir, stopContainers: [] });
    const { stdout } = await run('tar', ['-tzf', next.path], { maxBuffer: 64 * 1024 * 1024 });
    assert.deepEqual(
      stdout.split('\n').filter((n) => n.startsWith('./.lifeboat-')),
      [],
      'the snapshot holds none of the previous content',
    );
    await fs.rm(next.path);
    await fs.rm(`${next.path}.json`);
    assert.deepEqual((await docker.getVolume(VOL).inspect()).Labels, labelsBefore, 'Compose labels kept');
    assert.equal(await statInVolume(VOL), rootBefore, 'root owner and mode put back');
    assert.deepEqual(await lifeboatLeftovers(VOL), [], 'no staging or safety folder left in the volume');
    assert.deepEqual(await listing(dir), files, 'nothing written to the backup folder');
    assert.deepEqual(await helpersLeft(), []);
  });

  it('with keepSafetySnapshot, also keeps a safety snapshot file of the volume as it was, which restores the change', async () => {
    await psql(DB, 'lb', 'lbdb', `DELETE FROM items WHERE id > 200; CREATE TABLE extra2 (x int);`);
    const changed = await dataFingerprint(DB, 'lb', 'lbdb');
    const phases: string[] = [];
    const result = await restoreVolume(docker, {
      volume: VOL,
      file: snapshot,
      backupDir: dir,
      stack,
      healthTimeoutMs: 120_000,
      keepSafetySnapshot: true,
      progress: (p) => {
        if (phases.at(-1) !== p.phase) phases.push(p.phase);
      },
    });
    await waitHealthy(DB);
    assert.equal(await dataFingerprint(DB, 'lb', 'lbdb'), original);
    assert.ok(result.safety);
    assert.equal(result.safety.manifest.purpose, 'safety');
    assert.equal(result.safety.manifest.file.sha256, await sha256(result.safety.path));
    assert.ok(
      phases.findIndex((p) => p.startsWith('Safety snapshot')) < phases.findIndex((p) => p.startsWith('Swapping')),
      phases.join(' | '),
    );

    // The safety snapshot holds the changed data: restoring it brings the change back.
    await restoreVolume(docker, { volume: VOL, file: result.safety.path, backupDir: dir, stack, healthTimeoutMs: 120_000 });
    await waitHealthy(DB);
    assert.equal(await dataFingerprint(DB, 'lb', 'lbdb'), changed);
    await restoreVolume(docker, { volume: VOL, file: snapshot, backupDir: dir, stack, healthTimeoutMs: 120_000 });
    await waitHealthy(DB);
    assert.equal(await dataFingerprint(DB, 'lb', 'lbdb'), original);
  });

  let title = '';
  beforeEach(function () {
    title = this.currentTest?.title ?? '';
  });

  /** A restore of the snapshot, cancelled at the first progress `cancelAt` accepts; what it threw. */
  async function cancelledRestore(
    cancelAt: (p: { phase: string; bytes?: number }) => boolean,
    keepSafetySnapshot = false,
  ): Promise<unknown> {
    const ac = new AbortController();
    return restoreVolume(docker, {
      volume: VOL,
      file: snapshot,
      backupDir: dir,
      stack,
      signal: ac.signal,
      keepSafetySnapshot,
      progress: (p) => {
        if (cancelAt(p)) ac.abort();
      },
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
  }

  /** Records a volume fault: the database's data must be what it was before. */
  async function record(fault: string, err: unknown, before: string, operation = 'volume restore'): Promise<void> {
    await waitHealthy(DB).catch(() => undefined);
    const after = await dataFingerprint(DB, 'lb', 'lbdb').catch(() => 'unreadable');
    const leftovers = [...(await lifeboatLeftovers(VOL)), ...(await helpersLeft())];
    recordFault({
      operation,
      fault,
      userSees: shown(err),
      leftOnDisk: `volume data ${after === before ? 'unchanged' : 'CHANGED'}; ${leftovers.length ? `left: ${leftovers.join(', ')}` : 'no staging folder or helper left'}`,
      dataLost: after !== before,
    });
  }

  /** Proves a refused restore touched nothing: same data, same container start, no new files. */
  async function assertUntouched(attempt: () => Promise<unknown>, expected: RegExp): Promise<LifeboatError> {
    const before = await dataFingerprint(DB, 'lb', 'lbdb');
    const start = await startedAt(DB);
    const files = await listing(dir);
    let caught: unknown;
    await attempt().catch((err) => (caught = err));
    await record(title, caught, before);
    assert.ok(caught instanceof LifeboatError, `expected a LifeboatError, got ${caught}`);
    assert.match((caught as Error).message, expected);
    assert.equal(await startedAt(DB), start, 'the database was not stopped');
    assert.ok(await running(DB));
    assert.equal(await dataFingerprint(DB, 'lb', 'lbdb'), before);
    assert.deepEqual(await listing(dir), files, 'no safety snapshot, no partial file');
    assert.deepEqual(await lifeboatLeftovers(VOL), [], 'no staging folder left in the volume');
    assert.deepEqual(await helpersLeft(), []);
    return caught as LifeboatError;
  }

  it('refuses a truncated snapshot before touching anything', async () => {
    const cut = join(dir, 'truncated.tar.gz');
    const full = await fs.readFile(snapshot);
    await fs.writeFile(cut, full.subarray(0, Math.floor(full.length / 2)));
    await assertUntouched(
      () => restoreVolume(docker, { volume: VOL, file: cut, backupDir: dir, stack }),
      /truncated or corrupt.*Nothing was changed/,
    );
  });

  it('refuses a snapshot whose bytes no longer match its manifest', async () => {
    const bad = join(dir, 'flipped.tar.gz');
    const full = Buffer.from(await fs.readFile(snapshot));
    full[Math.floor(full.length / 2)] ^= 0xff;
    await fs.writeFile(bad, full);
    const { manifest } = await readManifest(snapshot);
    await writeManifest(bad, manifest!);
    await assertUntouched(
      () => restoreVolume(docker, { volume: VOL, file: bad, backupDir: dir, stack }),
      /corrupt|does not match its manifest/,
    );
  });

  for (const [label, entries] of [
    [
      'a ".." entry',
      [
        { name: './', type: 'directory' },
        { name: '../evil', body: 'x' },
      ],
    ],
    [
      'an absolute path',
      [
        { name: './', type: 'directory' },
        { name: '/etc/evil', body: 'x' },
      ],
    ],
    [
      'a symbolic link leaving the volume',
      [
        { name: './', type: 'directory' },
        { name: 'up', type: 'symlink', linkname: '../../etc' },
      ],
    ],
    [
      'an absolute symbolic link',
      [
        { name: './', type: 'directory' },
        { name: 'passwd', type: 'symlink', linkname: '/etc/passwd' },
      ],
    ],
    [
      'a file written through a link in the same archive',
      [
        { name: 'l', type: 'symlink', linkname: '.' },
        { name: 'l/x', body: 'x' },
      ],
    ],
  ] as [string, FixtureEntry[]][]) {
    it(`refuses an archive with ${label} (contract 9), touching nothing`, async () => {
      const file = join(dir, `unsafe-${label.replace(/\W+/g, '_')}.tar.gz`);
      await tarGz(file, entries);
      await assertUntouched(() => restoreVolume(docker, { volume: VOL, file, backupDir: dir, stack }), /Refused to restore/);
    });
  }

  it('moves the previous content back when the restored data does not start (failure after the swap)', async () => {
    const before = await dataFingerprint(DB, 'lb', 'lbdb');
    const rootBefore = await statInVolume(VOL);
    // A valid tar whose PG_VERSION makes the entrypoint skip initdb, and PostgreSQL then fails.
    const file = join(dir, 'broken-pgdata.tar.gz');
    await tarGz(file, [
      { name: './', type: 'directory', mode: 0o700, uid: 100, gid: 100 },
      { name: './PG_VERSION', body: '15\n', uid: 100, gid: 100 },
    ]);
    const log = collectingLogger();
    const filesBefore = await listing(dir);
    await assert.rejects(
      restoreVolume(docker, { volume: VOL, file, backupDir: dir, stack, logger: log, healthTimeoutMs: 60_000 }),
      (err: Error) => {
        assert.ok(err instanceof LifeboatError);
        assert.match(err.message, /"lifeboat-it-vol" stopped \(exit code \d+\) after the restore\. The volume is as it was/);
        assert.match(
          err.message,
          /The volume is as it was: its previous content, kept aside, was put back and "lifeboat-it-vol" is running again/,
        );
        return true;
      },
    );
    await waitHealthy(DB);
    assert.equal(await dataFingerprint(DB, 'lb', 'lbdb'), before);
    assert.equal(await statInVolume(VOL), rootBefore);
    const added = (await listing(dir)).filter((f) => !filesBefore.includes(f));
    assert.deepEqual(added, [], 'the previous content was kept in the volume, not in a file');
    assert.deepEqual(await lifeboatLeftovers(VOL), []);
    assert.ok(
      log.lines.some((l) => l.startsWith(DB)),
      "the container's own output is in the log",
    );
    assert.deepEqual(await helpersLeft(), []);
  });

  it('refuses when no helper image is on the engine, naming the setting', async () => {
    await assert.rejects(
      snapshotVolume(docker, { volume: VOL, backupDir: dir, helperImage: 'lifeboat/no-such-helper:never' }),
      /"lifeboat\/no-such-helper:never" is not on the Docker engine \(setting lifeboat\.volumes\.helperImage\)/,
    );
    await run('docker', ['volume', 'create', UNUSED]);
    await assert.rejects(
      snapshotVolume(docker, { volume: UNUSED, backupDir: dir }),
      /No helper image for the volume "lifeboat_it_vol_unused".*lifeboat\.volumes\.helperImage/,
    );
    await assertUntouched(
      () => restoreVolume(docker, { volume: VOL, file: snapshot, backupDir: dir, stack, helperImage: 'lifeboat/no-such-helper:never' }),
      /lifeboat\.volumes\.helperImage/,
    );
    assert.ok(await running(DB));
  });

  it('says so clearly when the volume no longer exists, and re-creates it only when asked', async () => {
    await assert.rejects(
      snapshotVolume(docker, { volume: 'lifeboat_it_vol_gone', backupDir: dir, helperImage: HELPER }),
      /The volume "lifeboat_it_vol_gone" does not exist/,
    );
    await assert.rejects(
      restoreVolume(docker, { volume: 'lifeboat_it_vol_gone', file: snapshot, backupDir: dir, helperImage: HELPER }),
      (err: Error) => {
        assert.ok(err instanceof LifeboatError);
        assert.match(err.message, /The volume "lifeboat_it_vol_gone" does not exist/);
        assert.match(err.hint ?? '', /re-create the volume.*Nothing was changed/);
        return true;
      },
    );
    // A damaged snapshot is refused before the volume is made.
    const cut = join(dir, 'truncated-for-gone.tar.gz');
    const full = await fs.readFile(snapshot);
    await fs.writeFile(cut, full.subarray(0, Math.floor(full.length / 3)));
    await assert.rejects(
      restoreVolume(docker, { volume: 'lifeboat_it_vol_gone', file: cut, backupDir: dir, helperImage: HELPER, recreateMissing: true }),
      /truncated or corrupt/,
    );
    await fs.rm(cut);
    // Creating a helper with a missing volume would have created it: it must still be absent.
    await assert.rejects(docker.getVolume('lifeboat_it_vol_gone').inspect());
  });

  it('refuses a volume used by a running container outside the project, naming it', async () => {
    await run('docker', ['run', '-d', '--name', OUTSIDER, '--network', 'none', '-v', `${VOL}:/data:ro`, HELPER, 'sleep', '600']);
    try {
      const err = await assertUntouched(
        () => restoreVolume(docker, { volume: VOL, file: snapshot, backupDir: dir, stack }),
        /lifeboat-it-vol-outsider/,
      );
      assert.match(err.message, /outside the Compose project "lifeboat-it-volproj"\. Nothing was changed/);
      assert.ok(await running(OUTSIDER), 'the outsider was not stopped either');
    } finally {
      await run('docker', ['rm', '-f', OUTSIDER]).catch(() => undefined);
    }
  });

  it('refuses a second operation on the same volume while one runs (contract 11)', async () => {
    const a = snapshotVolume(docker, { volume: VOL, backupDir: dir, stopContainers: [] });
    const b = snapshotVolume(docker, { volume: VOL, backupDir: dir, stopContainers: [] });
    const results = await Promise.allSettled([a, b]);
    const rejected = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
    assert.equal(rejected.length, 1);
    assert.ok(rejected[0].reason instanceof LockedError);
    for (const r of results) {
      if (r.status === 'fulfilled') {
        assert.deepEqual(r.value.stopped, [], 'stopContainers: [] copies live');
        await fs.rm(r.value.path);
        await fs.rm(`${r.value.path}.json`);
      }
    }
    assert.ok(await running(DB));
  });

  it('cancels a snapshot: no partial file, helper removed, database running again', async () => {
    const ac = new AbortController();
    const files = await listing(dir);
    const before = await dataFingerprint(DB, 'lb', 'lbdb');
    const err = await snapshotVolume(docker, {
      volume: VOL,
      backupDir: dir,
      signal: ac.signal,
      progress: (p) => {
        if ((p.bytes ?? 0) > 1_000_000) ac.abort();
      },
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    await record('cancel while the snapshot streams', err, before, 'volume snapshot');
    assert.ok(err instanceof CancelledError, String(err));
    assert.deepEqual(await listing(dir), files);
    assert.deepEqual(await helpersLeft(), []);
    assert.ok(await running(DB));
    await waitHealthy(DB);
  });

  it('cancels a restore while the archive is staged: the database never stopped, the staging folder is gone', async () => {
    const before = await dataFingerprint(DB, 'lb', 'lbdb');
    await psql(DB, 'lb', 'lbdb', 'CHECKPOINT');
    const start = await startedAt(DB);
    const err = await cancelledRestore((p) => p.phase.startsWith('Restoring') && (p.bytes ?? 0) > 2_000_000);
    await record('cancel while the archive is staged', err, before);
    assert.ok(err instanceof CancelledError, String(err));
    assert.equal(await startedAt(DB), start, 'the database was not stopped');
    await waitHealthy(DB);
    assert.equal(await dataFingerprint(DB, 'lb', 'lbdb'), before);
    assert.ok(!(await listing(dir)).some((f) => f.endsWith('.partial')));
    assert.deepEqual(await lifeboatLeftovers(VOL), []);
    assert.deepEqual(await helpersLeft(), []);
  });

  it('cancels a restore while it waits for the health checks: the previous content is moved back, the database runs', async () => {
    await psql(DB, 'lb', 'lbdb', 'DELETE FROM items WHERE id > 4000; CHECKPOINT');
    const before = await dataFingerprint(DB, 'lb', 'lbdb');
    assert.notEqual(before, original);
    const err = await cancelledRestore((p) => p.phase.startsWith('Waiting for health checks'));
    await record('cancel while it waits for the health checks', err, before);
    assert.ok(err instanceof CancelledError, String(err));
    await waitHealthy(DB);
    assert.equal(await dataFingerprint(DB, 'lb', 'lbdb'), before);
    assert.deepEqual(await lifeboatLeftovers(VOL), []);
    assert.deepEqual(await helpersLeft(), []);
    await restoreVolume(docker, { volume: VOL, file: snapshot, backupDir: dir, stack, healthTimeoutMs: 120_000 });
    await waitHealthy(DB);
    assert.equal(await dataFingerprint(DB, 'lb', 'lbdb'), original);
  });

  it('cancels a restore during its safety snapshot: nothing replaced, database running', async () => {
    const before = await dataFingerprint(DB, 'lb', 'lbdb');
    const files = await listing(dir);
    const err = await cancelledRestore((p) => p.phase.startsWith('Safety snapshot') && (p.bytes ?? 0) > 1_000_000, true);
    await record('cancel during its safety snapshot', err, before);
    assert.ok(err instanceof CancelledError, String(err));
    await waitHealthy(DB);
    assert.equal(await dataFingerprint(DB, 'lb', 'lbdb'), before);
    assert.deepEqual(await listing(dir), files);
    assert.deepEqual(await helpersLeft(), []);
  });

  it("round-trips a plain volume with no container: owners, modes, links and the root's owner and mode", async () => {
    await run('docker', ['volume', 'create', PLAIN]);
    const seed = [
      'mkdir -p /data/sub/deep && echo one > /data/a.txt && echo two > /data/sub/deep/b.txt',
      'ln -s sub/deep/b.txt /data/link && chown 1234:5678 /data/a.txt && chmod 640 /data/a.txt',
      'chown 1234:5678 /data && chmod 2750 /data',
    ].join(' && ');
    // The docker CLI arranges the fixture; the code under test never runs a shell.
    await shInVolume(PLAIN, seed);
    const snap = await snapshotVolume(docker, { volume: PLAIN, backupDir: dir, helperImage: HELPER });
    assert.deepEqual(snap.stopped, []);
    assert.deepEqual(snap.manifest.volumeRoot, { uid: 1234, gid: 5678, mode: 0o2750 });
    assert.equal(snap.manifest.fileCount, 2);

    await shInVolume(PLAIN, 'rm -rf /data/sub && echo new > /data/extra && chown 0:0 /data && chmod 777 /data');
    const result = await restoreVolume(docker, { volume: PLAIN, file: snap.path, backupDir: dir, helperImage: HELPER });
    assert.deepEqual(result.restarted, []);
    assert.equal(await statInVolume(PLAIN), '1234:5678:2750');
    assert.equal(await statInVolume(PLAIN, '/data/a.txt'), '1234:5678:640');
    const stdout = await shInVolume(PLAIN, 'ls -A /data; cat /data/link; readlink /data/link');
    assert.equal(stdout, 'a.txt\nlink\nsub\ntwo\nsub/deep/b.txt\n', 'extra file gone, link back');
  });
  it('restores an encrypted snapshot (.age) from its decryption; a wrong passphrase changes nothing', async () => {
    const snap = await snapshotVolume(docker, { volume: PLAIN, backupDir: dir, helperImage: HELPER });
    const sealed = (await encryptFile(snap.path, { format: 'age', passphrase: 'volume pass', workFactor: 10, removePlaintext: true })).path;
    const contents = () => shInVolume(PLAIN, 'cd /data && find . | sort && cat a.txt 2>/dev/null; true');
    const original = await contents();
    await shInVolume(PLAIN, 'rm /data/a.txt && echo later > /data/later.txt');
    const changed = await contents();
    assert.notEqual(changed, original);
    const files = await listing(dir);
    const keys = (passphrase: string): KeyProvider => ({
      key: async (_f, _i, failed) => (failed ? Promise.reject(failed) : { passphrase }),
    });

    await assert.rejects(
      restoreVolume(docker, { volume: PLAIN, file: sealed, backupDir: dir, helperImage: HELPER, keys: keys('not it') }),
      (err: Error) => err instanceof CryptoError && err.code === 'wrong-key',
    );
    assert.equal(await contents(), changed, 'a wrong passphrase changes nothing');
    assert.deepEqual(await lifeboatLeftovers(PLAIN), []);

    await restoreVolume(docker, { volume: PLAIN, file: sealed, backupDir: dir, helperImage: HELPER, keys: keys('volume pass') });
    assert.equal(await contents(), original);
    assert.deepEqual(await listing(dir), files, 'no decrypted copy written to the backup folder');
    assert.deepEqual(await lifeboatLeftovers(PLAIN), []);
    assert.deepEqual(await helpersLeft(), []);
  });

  it("an interrupted restore's copies are removed; previous content it kept aside is never snapshotted or restored over", async () => {
    const inPlain = (script: string) => shInVolume(PLAIN, script);
    const everything = () => inPlain('cd /data && find . | sort && cat a.txt 2>/dev/null; true');
    // What a restore stopped while staging leaves: an unpacked copy and an empty safety folder.
    await inPlain(
      'mkdir -p /data/.lifeboat-restore-dead1/sub && echo junk > /data/.lifeboat-restore-dead1/sub/x && mkdir /data/.lifeboat-safety-dead1',
    );
    const log = collectingLogger();
    const snap = await snapshotVolume(docker, { volume: PLAIN, backupDir: dir, helperImage: HELPER, logger: log });
    assert.deepEqual(await lifeboatLeftovers(PLAIN), [], 'the copies are gone');
    const { stdout: names } = await run('tar', ['-tzf', snap.path]);
    assert.doesNotMatch(names, /\.lifeboat-/, 'and not in the snapshot');
    assert.ok(
      log.lines.some((l) => /^warn .*removed \.lifeboat-restore-dead1, \.lifeboat-safety-dead1, left by an interrupted restore/.test(l)),
      log.lines.join('\n'),
    );

    // What a restore stopped mid-swap leaves: the previous content kept aside.
    await inPlain('mkdir /data/.lifeboat-safety-dead2 /data/.lifeboat-restore-dead2 && echo previous > /data/.lifeboat-safety-dead2/a.txt');
    const before = await everything();
    const files = await listing(dir);
    const interrupted = (err: Error) =>
      err instanceof InterruptedRestoreError &&
      /\.lifeboat-safety-dead2 \(1 entry\)/.test(err.message) &&
      /Nothing was changed/.test(err.message);
    await assert.rejects(snapshotVolume(docker, { volume: PLAIN, backupDir: dir, helperImage: HELPER }), interrupted);
    assert.deepEqual(await listing(dir), files, 'no snapshot written');
    await assert.rejects(restoreVolume(docker, { volume: PLAIN, file: snap.path, backupDir: dir, helperImage: HELPER }), interrupted);
    assert.equal(await everything(), before, 'nothing in the volume changed');
    assert.deepEqual(await helpersLeft(), []);
    await inPlain('rm -rf /data/.lifeboat-safety-dead2 /data/.lifeboat-restore-dead2');

    // A restore finds copies only: it removes them and goes on.
    await inPlain('mkdir -p /data/.lifeboat-restore-dead3 && echo junk > /data/.lifeboat-restore-dead3/x');
    const restoreLog = collectingLogger();
    await restoreVolume(docker, { volume: PLAIN, file: snap.path, backupDir: dir, helperImage: HELPER, logger: restoreLog });
    assert.deepEqual(await lifeboatLeftovers(PLAIN), []);
    assert.ok(
      restoreLog.lines.some((l) => /^warn .*removed \.lifeboat-restore-dead3, left by an interrupted restore/.test(l)),
      restoreLog.lines.join('\n'),
    );
    await fs.rm(snap.path);
    await fs.rm(`${snap.path}.json`);
  });

  it('refuses a restore the volume has no room for (the current content stays until proven), before writing or stopping anything', async () => {
    const SMALL = 'lifeboat_it_vol_small';
    const HOLDER = 'lifeboat-it-vol-holder';
    await run('docker', ['rm', '-f', HOLDER]).catch(() => undefined);
    await run('docker', ['volume', 'rm', '-f', SMALL]).catch(() => undefined);
    await run('docker', [
      'volume',
      'create',
      '--driver',
      'local',
      '--opt',
      'type=tmpfs',
      '--opt',
      'device=tmpfs',
      '--opt',
      'o=size=4m',
      SMALL,
    ]);
    // A tmpfs volume keeps its content only while mounted: a container holds it through the test.
    await run('docker', ['run', '-d', '--name', HOLDER, '--network', 'none', '-v', `${SMALL}:/data`, HELPER, 'sleep', '600']);
    const inHolder = async (script: string) => (await run('docker', ['exec', HOLDER, 'sh', '-c', script])).stdout;
    let snapPath: string | undefined;
    try {
      await inHolder('head -c 1500000 /dev/urandom > /data/one.bin');
      snapPath = (await snapshotVolume(docker, { volume: SMALL, backupDir: dir, helperImage: HELPER, stopContainers: [] })).path;
      await inHolder('head -c 2300000 /dev/urandom > /data/two.bin');
      const before = await inHolder('ls -lA /data && md5sum /data/*.bin');
      await assert.rejects(
        restoreVolume(docker, { volume: SMALL, file: snapPath, backupDir: dir, helperImage: HELPER }),
        /needs at least [\d.]+ \S+ free beside its current content.*has [\d.]+ \S+ free\. Nothing was changed\./,
      );
      assert.equal(await inHolder('ls -lA /data && md5sum /data/*.bin'), before, 'the volume is as it was');
      assert.ok(await running(HOLDER), 'nothing was stopped');
      assert.deepEqual(await helpersLeft(), []);
    } finally {
      await run('docker', ['rm', '-f', HOLDER]).catch(() => undefined);
      await run('docker', ['volume', 'rm', '-f', SMALL]).catch(() => undefined);
      if (snapPath)
        await fs.rm(snapPath).then(
          () => fs.rm(`${snapPath}.json`),
          () => undefined,
        );
    }
  });

  it('re-creates a volume that no longer exists ("complete system failure"): same driver and labels, the rows come back, no safety snapshot', async () => {
    await waitHealthy(DB);
    const snap = await snapshotVolume(docker, { volume: VOL, backupDir: dir });
    await waitHealthy(DB);
    const expected = await dataFingerprint(DB, 'lb', 'lbdb');
    const before = await docker.getVolume(VOL).inspect();
    const rootBefore = await statInVolume(VOL);
    // `docker compose down -v`: the containers and the volume are gone.
    await run('docker', ['rm', '-f', DB]);
    await run('docker', ['volume', 'rm', VOL]);
    const files = await listing(dir);

    const log = collectingLogger();
    const phases: string[] = [];
    // No helperImage: no container mounts a lost volume, so the image the snapshot was read with is used.
    const result = await restoreVolume(docker, {
      volume: VOL,
      file: snap.path,
      backupDir: dir,
      recreateMissing: true,
      logger: log,
      progress: (p) => {
        if (phases.at(-1) !== p.phase) phases.push(p.phase);
      },
    });
    assert.equal(result.safety, undefined);
    assert.ok(result.recreated);
    assert.equal(result.recreated.fromManifest, true);
    assert.match(result.recreated.note, /No safety snapshot was taken: there was nothing to lose/);
    assert.deepEqual(result.restarted, []);
    assert.ok(
      phases.some((p) => p.startsWith('Creating the volume')),
      phases.join(' | '),
    );
    assert.ok(!phases.some((p) => p.startsWith('Safety snapshot') || p.startsWith('Emptying')), phases.join(' | '));
    assert.deepEqual(await listing(dir), files, 'no safety snapshot written');

    const after = await docker.getVolume(VOL).inspect();
    assert.equal(after.Driver, before.Driver);
    assert.deepEqual(after.Labels, before.Labels, 'the Compose labels are back, so `docker compose up` adopts the volume');
    assert.equal(after.Labels['com.docker.compose.project'], PROJECT);
    assert.equal(await statInVolume(VOL), rootBefore, 'root owner and mode as recorded');
    assert.deepEqual(await helpersLeft(), []);

    await startProjectPostgres(P);
    assert.equal(await dataFingerprint(DB, 'lb', 'lbdb'), expected, 'the same rows in PostgreSQL');
    assert.equal(await psql(DB, 'lb', 'lbdb', 'SELECT count(*) FROM items'), '5000');
  });

  it('re-creates a lost volume from a snapshot without a manifest (a runbook one): local driver, no labels, and says so', async () => {
    await run('docker', ['volume', 'rm', '-f', PLAIN]);
    await run('docker', ['volume', 'create', PLAIN]);
    await shInVolume(PLAIN, 'echo kept > /data/k.txt && chown 42:43 /data');
    const snap = await snapshotVolume(docker, { volume: PLAIN, backupDir: dir, helperImage: HELPER });
    const runbook = join(dir, 'volume_lifeboat_it_vol_plain_20240101_000000.tar.gz');
    await fs.copyFile(snap.path, runbook);
    await run('docker', ['volume', 'rm', PLAIN]);
    const result = await restoreVolume(docker, {
      volume: PLAIN,
      file: runbook,
      backupDir: dir,
      helperImage: HELPER,
      recreateMissing: true,
    });
    assert.equal(result.recreated?.fromManifest, false);
    assert.match(result.recreated?.note ?? '', /local driver and no labels/);
    const v = await docker.getVolume(PLAIN).inspect();
    assert.equal(v.Driver, 'local');
    assert.deepEqual(v.Labels ?? {}, {});
    assert.equal(await statInVolume(PLAIN), '42:43:755');
    assert.equal(await inVolume(PLAIN, ['cat', '/data/k.txt']), 'kept\n');
  });
});
