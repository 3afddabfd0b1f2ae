import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { LifeboatError } from '../../src/core/common';
import { readManifest, writeManifest } from '../../src/core/store';
import { restoreVolume, snapshotVolume, volumeExists } from '../../src/core/volume';
import type { VolumeManifest } from '../../src/core/volume';
import { collectingLogger, docker, run, tempDir } from './harness';

const HELPER = 'lifeboat/helper:latest';

/**
 * Lifeboat's helper containers on a real engine, around a scratch volume no container uses:
 * helpers a killed run left behind, a detached cleanup still on the engine, and a volume that
 * must be made again with a driver the engine does not have.
 */
describe('volume helpers on a real engine (a scratch volume, no database)', function () {
  this.timeout(120_000);
  const tag = randomBytes(3).toString('hex');
  const VOL = `lifeboat_it_helpers_${tag}`;
  const GONE = `lifeboat_it_helpers_gone_${tag}`;
  let dir: string;

  async function removeOurs(): Promise<void> {
    const { stdout } = await run('docker', ['ps', '-aq', '--filter', `label=io.lifeboat.volume=${VOL}`]);
    for (const id of stdout.split('\n').filter(Boolean)) await run('docker', ['rm', '-f', '-v', id]).catch(() => undefined);
    for (const v of [VOL, GONE]) await run('docker', ['volume', 'rm', '-f', v]).catch(() => undefined);
  }

  before(async () => {
    await removeOurs();
    await run('docker', ['volume', 'create', VOL]);
    // Something to snapshot: one file, written by a helper-image container that is then removed.
    await run('docker', [
      'run',
      '--rm',
      '--network',
      'none',
      '-v',
      `${VOL}:/data`,
      '--entrypoint',
      'sh',
      HELPER,
      '-c',
      'echo hello > /data/f',
    ]);
    dir = await tempDir('helpers');
  });
  after(async () => {
    await removeOurs();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  /** A container labelled as Lifeboat's helper for VOL, as a kill -9 leaves it: created, never started or exited. */
  async function leftover(purpose: string, start = false): Promise<string> {
    const name = `lifeboat-${purpose}-left-${randomBytes(3).toString('hex')}`;
    const args = ['create', '--name', name, '--network', 'none', '--label', `io.lifeboat.helper=${purpose}`];
    args.push('--label', `io.lifeboat.volume=${VOL}`, '-v', `${VOL}:/data`, '--entrypoint', 'true', HELPER);
    await run('docker', args);
    if (start) await run('docker', ['start', '-a', name]);
    return name;
  }

  it('removes the helpers a killed run left on the volume, naming them, and snapshots it', async () => {
    const names = [await leftover('snapshot'), await leftover('restore', true)];
    const log = collectingLogger();
    const made = await snapshotVolume(docker, { volume: VOL, backupDir: dir, helperImage: HELPER, logger: log });
    const said = log.lines.find((l) => l.includes('left by an interrupted Lifeboat operation'));
    assert.ok(said, log.lines.join('\n'));
    assert.match(said, new RegExp(`Removed the helper containers .*, left by an interrupted Lifeboat operation on ${VOL}\\.$`));
    for (const n of names) assert.ok(said.includes(n), said);
    for (const n of names) await assert.rejects(run('docker', ['inspect', n]), /No such object/);
    assert.equal((await readManifest(made.path)).manifest?.kind, 'volume');
  });

  it('waits for a detached cleanup of the volume that already finished, then snapshots it', async () => {
    const cleanup = await leftover('cleanup', true);
    const made = await snapshotVolume(docker, { volume: VOL, backupDir: dir, helperImage: HELPER, logger: collectingLogger() });
    assert.ok(made.path.endsWith('.tar.gz'));
    // A cleanup removes itself (AutoRemove); one that exited without doing so is left to the engine, not to a snapshot.
    await run('docker', ['inspect', cleanup]);
    await run('docker', ['rm', '-f', cleanup]);
  });

  it('a lost volume whose snapshot records a driver the engine lacks: the driver is named, nothing is created', async () => {
    const made = await snapshotVolume(docker, { volume: VOL, backupDir: dir, helperImage: HELPER, logger: collectingLogger() });
    const m = (await readManifest(made.path)).manifest as VolumeManifest;
    const lost: VolumeManifest = { ...m, volumeDriver: { driver: 'lifeboat-no-such-driver', options: {}, labels: {} } };
    await writeManifest(made.path, lost);
    await assert.rejects(
      restoreVolume(docker, { volume: GONE, file: made.path, backupDir: dir, helperImage: HELPER, recreateMissing: true }),
      (err: Error) => {
        assert.ok(err instanceof LifeboatError, String(err));
        assert.match(err.message, new RegExp(`^Docker could not create the volume "${GONE}" with the driver "lifeboat-no-such-driver": `));
        assert.match(err.hint ?? '', /docker plugin ls/);
        return true;
      },
    );
    assert.equal(await volumeExists(docker, GONE), false);
  });

  it('a snapshot of another kind is refused as not a volume snapshot before the engine is asked anything', async () => {
    const made = await snapshotVolume(docker, { volume: VOL, backupDir: dir, helperImage: HELPER, logger: collectingLogger() });
    const m = (await readManifest(made.path)).manifest as VolumeManifest;
    await writeManifest(made.path, { ...m, kind: 'database' });
    await assert.rejects(
      restoreVolume(docker, { volume: VOL, file: made.path, backupDir: dir, helperImage: HELPER }),
      new RegExp(`^LifeboatError: "${made.path.split('/').pop()!.replace(/\./g, '\\.')}" is a database backup, not a volume snapshot\\.$`),
    );
  });

  it('a volume that is there is found (the Restore Volume command asks before offering to re-create it)', async () => {
    assert.equal(await volumeExists(docker, VOL), true);
  });

  it('a snapshot whose manifest is not valid JSON: the problem is logged, and it restores as a runbook-made snapshot', async () => {
    const made = await snapshotVolume(docker, { volume: VOL, backupDir: dir, helperImage: HELPER, logger: collectingLogger() });
    await fs.writeFile(`${made.path}.json`, '{ "kind": "volume", cut here');
    const log = collectingLogger();
    const result = await restoreVolume(docker, { volume: VOL, file: made.path, backupDir: dir, helperImage: HELPER, logger: log });
    assert.equal(result.volume, VOL);
    assert.ok(
      log.lines.some((l) => l.startsWith(`warn ${made.path}: manifest is not valid JSON: `)),
      log.lines.join('\n'),
    );
    const { stdout } = await run('docker', [
      'run',
      '--rm',
      '--network',
      'none',
      '-v',
      `${VOL}:/data:ro`,
      '--entrypoint',
      'cat',
      HELPER,
      '/data/f',
    ]);
    assert.equal(stdout, 'hello\n', 'the volume holds what the snapshot held');
  });

  it('a volume holding a link that points outside it is snapshotted, with a warning that a restore will refuse it', async () => {
    const inVol = (script: string) =>
      run('docker', ['run', '--rm', '--network', 'none', '-v', `${VOL}:/data`, '--entrypoint', 'sh', HELPER, '-c', script]);
    await inVol('ln -s /etc/passwd /data/outside');
    try {
      const log = collectingLogger();
      const made = await snapshotVolume(docker, { volume: VOL, backupDir: dir, helperImage: HELPER, logger: log });
      assert.ok(made.path.endsWith('.tar.gz'));
      assert.ok(
        log.lines.some(
          (l) =>
            l.startsWith(`warn ${VOL}: the entry `) &&
            l.includes('outside') &&
            l.endsWith('a restore of this snapshot will refuse it (contract 9).'),
        ),
        log.lines.join('\n'),
      );
    } finally {
      await inVol('rm -f /data/outside');
    }
  });
});
