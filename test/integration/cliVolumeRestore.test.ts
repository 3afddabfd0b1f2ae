import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { basename, join } from 'node:path';
import { silentLogger } from '../../src/core/common';
import { readKeyFile } from '../../src/core/crypto';
import { encryptFile } from '../../src/core/encryption';
import { waitForVolumeCleanup } from '../../src/core/volume';
import { dataFingerprint, demoStack, docker, inVolume, run, shInVolume, waitHealthy } from './harness';
import { CLI, files, lifeboat, project } from './cliRun';

const VOLUME = 'sms_postgres_data';
const MARKER = 'lifeboat-cli-restore-marker';

/** When each container of the stack last started: a dry run or a refusal must leave these alone. */
async function startTimes(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of ['sms-db', 'sms-web']) out[name] = (await docker.getContainer(name).inspect()).State.StartedAt;
  return out;
}

/** The top of the volume: PostgreSQL's files, a marker, or a restore's staging and aside folders. */
async function topOfVolume(): Promise<string[]> {
  await waitForVolumeCleanup(docker, VOLUME, silentLogger);
  return (await inVolume(VOLUME, ['ls', '-A', '/data'], { readOnly: true })).split('\n').filter(Boolean).sort();
}

async function helpersLeft(): Promise<string> {
  const { stdout } = await run('docker', [
    'ps',
    '-a',
    '--filter',
    'label=io.lifeboat.helper',
    '--filter',
    `label=io.lifeboat.volume=${VOLUME}`,
    '--format',
    '{{.Names}}',
  ]);
  return stdout.trim();
}

/**
 * `lifeboat restore volume` on the demo stack's own volume, through dist/cli.js in real
 * processes. The snapshot is taken first, so the restore at the end puts back what was there;
 * the marker written after it is what proves the content was replaced.
 */
describe("lifeboat restore volume (dist/cli.js, the demo stack's sms_postgres_data)", function () {
  this.timeout(300_000);
  let folder: string;
  let snapshot: string;
  let data: string;

  before(async () => {
    await fs.access(CLI).catch(() => {
      throw new Error(`${CLI} is missing: run node scripts/build.mjs`);
    });
    await demoStack();
    folder = await project({});
    const made = await lifeboat(['backup', 'volume', '--volume', VOLUME, '--folder', folder, '--json']);
    assert.equal(made.code, 0, made.stderr);
    snapshot = JSON.parse(made.stdout.trim().split('\n').at(-1)!).path as string;
    await waitHealthy('sms-db');
    await waitHealthy('sms-web', 120_000);
    data = await dataFingerprint('sms-db', 'sms_user', 'sms_db');
  });
  after(async () => {
    if (folder) await fs.rm(folder, { recursive: true, force: true });
  });

  it('a dry run reads the snapshot whole, says which containers would stop, and changes nothing', async () => {
    const before = { started: await startTimes(), top: await topOfVolume(), backups: await files(join(folder, 'backups', 'volumes')) };
    const dry = await lifeboat(['restore', 'volume', snapshot, '--folder', folder]);
    assert.equal(dry.code, 0, dry.stderr);
    const name = basename(snapshot);
    assert.match(
      dry.stdout,
      new RegExp(`^Dry run passed: "${name}" was read whole \\([\\d,]+ files, .+ of data\\); its sha256 matches its manifest\\.$`, 'm'),
    );
    assert.match(dry.stdout, /^"sms_postgres_data" has room for the .+ it unpacks to beside its current content/m);
    assert.match(
      dry.stdout,
      /^A restore stops "sms-web" and "sms-db" for the swap and starts them again; a failure puts the current content back\.$/m,
    );
    assert.match(
      dry.stdout,
      new RegExp(
        `^Dry run only: "${VOLUME}" was not changed\\. To replace its content with "${name}", run again with --replace ${VOLUME}\\.$`,
        'm',
      ),
    );
    assert.deepEqual(await startTimes(), before.started, 'no container was stopped');
    assert.deepEqual(await topOfVolume(), before.top, 'the volume was not written');
    assert.deepEqual(await files(join(folder, 'backups', 'volumes')), before.backups, 'nothing written to the backup folder');
    assert.equal(await helpersLeft(), '', 'the read-only helper is gone');
  });

  it('an encrypted snapshot is checked through its decryption with lifeboat.encryption.keyFile; without the key, exit 1', async () => {
    const keyFile = join(folder, 'backup_key');
    await fs.writeFile(keyFile, 'command-line volume key passphrase\n', { mode: 0o600 });
    const keyed = await project({ 'lifeboat.encryption.keyFile': keyFile, 'lifeboat.backupDirectory': join(folder, 'backups') });
    const sealed = (
      await encryptFile(snapshot, { format: 'age', passphrase: await readKeyFile(keyFile), workFactor: 10, removePlaintext: false })
    ).path;
    try {
      const dry = await lifeboat(['restore', 'volume', sealed, '--folder', keyed]);
      assert.equal(dry.code, 0, dry.stderr);
      assert.match(
        dry.stdout,
        /^Dry run passed: ".+\.tar\.gz\.age" was read whole \([\d,]+ files, .+ of data, decrypted on the way\); its sha256 matches its manifest\.$/m,
      );
      const keyless = await lifeboat(['restore', 'volume', sealed, '--folder', folder]);
      assert.equal(keyless.code, 1, keyless.stdout + keyless.stderr);
      assert.match(keyless.stderr, /is encrypted with a passphrase and no key file is set\.\n  Set lifeboat\.encryption\.keyFile/);
      assert.doesNotMatch(keyless.stdout, /Dry run passed/);
    } finally {
      await fs.rm(sealed, { force: true });
      await fs.rm(`${sealed}.json`, { force: true });
      await fs.rm(keyed, { recursive: true, force: true });
    }
  });

  it('a wrong --replace is refused with exit 2 before anything is read or stopped', async () => {
    const started = await startTimes();
    const wrong = await lifeboat(['restore', 'volume', snapshot, '--replace', 'sms_db', '--folder', folder]);
    assert.equal(wrong.code, 2, wrong.stderr);
    assert.match(
      wrong.stderr,
      new RegExp(
        `--replace names "sms_db", but ".+" restores the volume "${VOLUME}"\\. Nothing was changed\\.\\n  Type --replace ${VOLUME} to replace it\\.`,
      ),
    );
    assert.doesNotMatch(wrong.stdout, /Dry run/);
    const empty = await lifeboat(['restore', 'volume', snapshot, '--folder', folder, '--replace']);
    assert.equal(empty.code, 2, empty.stderr);
    assert.match(empty.stderr, /--replace/);
    assert.deepEqual(await startTimes(), started);
  });

  it('a truncated snapshot is refused (exit 1) before any container stops, dry run or not', async () => {
    // Named as the runbook names its snapshots, without a manifest: the stack's only volume is its target.
    const cut = join(folder, `volume_${VOLUME}_20260101_020000.tar.gz`);
    const full = await fs.readFile(snapshot);
    await fs.writeFile(cut, full.subarray(0, Math.floor(full.length / 2)));
    const before = { started: await startTimes(), top: await topOfVolume() };
    for (const extra of [[], ['--replace', VOLUME]]) {
      const r = await lifeboat(['restore', 'volume', cut, '--folder', folder, ...extra]);
      assert.equal(r.code, 1, `${extra.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, /is truncated or corrupt .*Nothing was changed\./);
      assert.doesNotMatch(r.stdout, /Dry run passed|Restored/);
    }
    assert.deepEqual(await startTimes(), before.started, 'no container was stopped');
    assert.deepEqual(await topOfVolume(), before.top, 'no staging folder left in the volume');
    assert.equal(await helpersLeft(), '');
    await fs.rm(cut);
  });

  it('--replace sms_postgres_data restores the snapshot: the marker written after it is gone, the rows are the same, the stack runs again', async () => {
    await shInVolume(VOLUME, `echo after the snapshot > /data/${MARKER}`);
    assert.ok((await topOfVolume()).includes(MARKER));
    const r = await lifeboat(['restore', 'volume', snapshot, '--replace', VOLUME, '--folder', folder]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      new RegExp(`^Restored "${VOLUME}" from "${basename(snapshot)}" in .+; "sms-db" and "sms-web" are running again\\.$`, 'm'),
    );
    await waitHealthy('sms-db');
    await waitHealthy('sms-web', 120_000);
    const top = await topOfVolume();
    assert.ok(!top.includes(MARKER), top.join(' '));
    assert.deepEqual(
      top.filter((n) => n.startsWith('.lifeboat-')),
      [],
      'the previous content kept aside was removed once healthy',
    );
    assert.equal(await dataFingerprint('sms-db', 'sms_user', 'sms_db'), data);
    assert.equal(await helpersLeft(), '');
    assert.deepEqual(
      (await files(join(folder, 'backups', 'volumes'))).filter((n) => !n.startsWith('.')),
      [basename(snapshot), `${basename(snapshot)}.json`],
      'no safety snapshot unless lifeboat.volumes.keepSafetySnapshot asks for one',
    );
  });
});
