import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../../src/cli/main';
import { LifeboatError, silentLogger } from '../../../src/core/common';
import { MANIFEST_VERSION, writeManifest } from '../../../src/core/store';
import { refuseOutsiders, snapshotManifest, snapshotVolumeName } from '../../../src/core/volume';
import type { VolumeManifest, VolumeUser } from '../../../src/core/volume';
import type { Stack } from '../../../src/core/stack';

const volumes = (...names: string[]) => ({ volumes: names.map((name) => ({ name, usedBy: [] })) });
const manifestNaming = (volume: string) => ({ source: { volume } }) as unknown as VolumeManifest;

describe('which volume a snapshot restores into, and what it must be', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(join(tmpdir(), 'lb-restore-plan-'));
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it("the manifest names it first, then the file name among the stack's volumes, then the stack's only volume", () => {
    const file = '/b/volumes/volume_sms_uploads_20260101_020000.tar.gz';
    assert.equal(snapshotVolumeName(file, manifestNaming('recorded'), volumes('sms_uploads', 'other')), 'recorded');
    assert.equal(snapshotVolumeName(file, undefined, volumes('sms_postgres_data', 'sms_uploads')), 'sms_uploads');
    assert.equal(
      snapshotVolumeName('/b/volume_sms_postgres_20260101_020000.tar.gz', undefined, volumes('sms_postgres_data')),
      'sms_postgres_data',
    );
    assert.equal(snapshotVolumeName(file, manifestNaming('gone'), undefined), 'gone', 'no stack: the manifest alone');
  });

  it("refuses two running containers of another project by name, in the plural; stopped ones and the stack's own pass", () => {
    const user = (id: string, project: string | undefined, running = true): VolumeUser => ({
      id,
      name: id,
      image: 'busybox',
      imageId: 'sha256:0',
      running,
      project,
      readOnly: false,
      postgres: false,
    });
    const stack = { project: 'sms', db: { id: 'sms-db', name: 'sms-db' }, apps: [{ id: 'sms-web', name: 'sms-web' }] } as unknown as Stack;
    const facts = { name: 'sms_uploads', driver: 'local', options: {}, labels: {} };
    const own = [user('sms-db', 'sms'), user('sms-web', undefined), user('old', 'other', false)];
    assert.doesNotThrow(() => refuseOutsiders('sms_uploads', stack, facts, own));
    assert.throws(
      () => refuseOutsiders('sms_uploads', stack, facts, [...own, user('peek', 'other')]),
      (err: unknown) =>
        err instanceof LifeboatError &&
        err.message ===
          'The volume "sms_uploads" is used by "peek", which is running outside the Compose project "sms". Nothing was changed.' &&
        err.hint === "Stop it first (`docker stop peek`): Lifeboat only stops the project's own containers.",
    );
    assert.throws(
      () => refuseOutsiders('sms_uploads', stack, facts, [...own, user('peek', 'other'), user('copy', undefined)]),
      (err: unknown) =>
        err instanceof LifeboatError &&
        err.message ===
          'The volume "sms_uploads" is used by "peek" and "copy", which are running outside the Compose project "sms". Nothing was changed.' &&
        err.hint === "Stop them first (`docker stop peek`): Lifeboat only stops the project's own containers.",
    );
  });

  it('says how to name a snapshot it cannot place', () => {
    assert.throws(
      () => snapshotVolumeName('/b/volume_x_20260101_020000.tar.gz', undefined, volumes('a', 'b')),
      (err: unknown) =>
        err instanceof LifeboatError &&
        err.message === 'Cannot tell which volume "volume_x_20260101_020000.tar.gz" belongs to.' &&
        /volume_<volume>_YYYYMMDD_HHMMSS\.tar\.gz/.test(err.hint ?? ''),
    );
  });

  it('refuses another kind of backup by its manifest, and reads a runbook snapshot without one', async () => {
    const dump = join(dir, 'sms_backup_20260101_020000.sql.gz');
    await fs.writeFile(dump, 'x');
    await writeManifest(dump, {
      formatVersion: MANIFEST_VERSION,
      kind: 'database',
      createdAt: '2026-01-01T02:00:00.000Z',
      tool: { name: 'lifeboat', version: 'test' },
      source: { database: 'sms_db' },
      compression: { format: 'gzip' },
      file: { name: 'sms_backup_20260101_020000.sql.gz', bytes: 1 },
      verifications: [],
    });
    await assert.rejects(
      snapshotManifest(dump, silentLogger),
      /"sms_backup_20260101_020000\.sql\.gz" is a database backup, not a volume snapshot\./,
    );
    const bare = join(dir, 'volume_sms_postgres_20260101_020000.tar.gz');
    await fs.writeFile(bare, 'x');
    assert.equal(await snapshotManifest(bare, silentLogger), undefined);
  });

  it('lifeboat restore with no file, or an unknown kind: exit 2, with the volume form in the hint', async () => {
    let err = '';
    const write = process.stderr.write;
    process.stderr.write = ((chunk: string | Uint8Array) => ((err += String(chunk)), true)) as typeof process.stderr.write;
    try {
      assert.equal(await main(['restore', 'volume', '--folder', dir]), 2);
      assert.equal(await main(['restore', 'tape', 'x.tar.gz', '--folder', dir]), 2);
      assert.equal(await main(['restore', 'volume', 'x.tar.gz', '--folder', dir, '--replace']), 2);
    } finally {
      process.stderr.write = write;
    }
    assert.match(err, /restore needs: database FILE, volume FILE or config FILE\./);
    assert.match(err, /lifeboat restore volume backups\/volumes\/FILE\.tar\.gz, then --replace VOLUME/);
    assert.match(err, /--replace/);
  });
});
