import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type Docker from 'dockerode';
import { DockerUnavailableError } from '../../../src/core/common';
import type { Logger } from '../../../src/core/common';
import { backupDatabase, restoreDatabase } from '../../../src/core/database';
import { MANIFEST_VERSION, readManifest, writeManifest } from '../../../src/core/store';
import { connectDocker, selectEngine } from '../../../src/core/docker';
import type { Stack } from '../../../src/core/stack';
import { verifyBackup } from '../../../src/core/verify';
import { restoreVolume, snapshotVolume, volumeExists, waitForVolumeCleanup } from '../../../src/core/volume';

const HOST = 'unix:///nonexistent/docker.sock';
const silent = { info: () => undefined, warn: () => undefined, error: () => undefined, tool: () => undefined } as unknown as Logger;
const stack: Stack = {
  project: 'sms',
  db: { id: 'f00d', name: 'sms-db', user: 'sms_user', database: 'sms_db', service: 'db' } as Stack['db'],
  apps: [],
  volumes: [],
};

/**
 * DOCKER_HOST pointing at a socket that does not exist, as after a typo or with Docker Desktop
 * quit: each operation stops at its first call to the engine, says which engine it could not
 * reach and how to pick another, and leaves nothing behind.
 */
describe('operations against an engine that cannot be reached (DOCKER_HOST=unix:///nonexistent/docker.sock)', () => {
  let docker: Docker;
  let dir: string;
  before(() => {
    docker = connectDocker(selectEngine({ env: { DOCKER_HOST: HOST } }));
  });
  after(() => {
    // Later tests in this process get the engine the environment names again.
    connectDocker(selectEngine());
  });
  beforeEach(async () => {
    dir = await fs.mkdtemp(join(tmpdir(), 'lb-unreachable-'));
  });
  afterEach(() => fs.rm(dir, { recursive: true, force: true }));

  const unreachable = (err: unknown) => {
    assert.ok(err instanceof DockerUnavailableError, String(err));
    assert.equal(err.message, `Cannot reach the Docker engine at ${HOST} (from DOCKER_HOST): no socket at that path (ENOENT).`);
    assert.match(err.hint ?? '', /DOCKER_HOST/);
    return true;
  };

  it('asking whether a volume exists is not answered "no": a restore must not offer to re-create it', async () => {
    await assert.rejects(volumeExists(docker, 'sms_postgres_data'), unreachable);
  });

  it('waiting for a volume cleanup', async () => {
    await assert.rejects(waitForVolumeCleanup(docker, 'sms_postgres_data', silent), unreachable);
  });

  it('a volume snapshot creates no backup folder, lock or partial', async () => {
    const backupDir = join(dir, 'backups');
    await assert.rejects(snapshotVolume(docker, { volume: 'sms_postgres_data', backupDir, logger: silent }), unreachable);
    assert.equal(existsSync(backupDir), false);
  });

  it('a database backup creates no backup folder, lock or partial', async () => {
    const backupDir = join(dir, 'backups');
    await assert.rejects(backupDatabase(docker, stack, { backupDir, logger: silent }), unreachable);
    assert.equal(existsSync(backupDir), false);
  });

  it('a volume restore leaves the snapshot and its folder as they were', async () => {
    const file = join(dir, 'volume_sms_postgres_data_20260101_000000.tar.gz');
    // An empty tar: two zero blocks.
    await fs.writeFile(file, gzipSync(Buffer.alloc(1024)));
    await assert.rejects(restoreVolume(docker, { volume: 'sms_postgres_data', file, backupDir: dir, logger: silent }), unreachable);
    assert.deepEqual(await fs.readdir(dir), ['volume_sms_postgres_data_20260101_000000.tar.gz']);
  });
  it('a database restore asks nothing, and records no failed verification: the engine failed, not the backup', async () => {
    const file = join(dir, 'database', 'sms_backup_20260101_000000.sql.gz');
    await fs.mkdir(join(dir, 'database'));
    const data = gzipSync('--\n-- PostgreSQL database dump\n--\n\n-- PostgreSQL database dump complete\n');
    await fs.writeFile(file, data);
    await writeManifest(file, {
      formatVersion: MANIFEST_VERSION,
      kind: 'database',
      createdAt: '2026-01-01T00:00:00.000Z',
      tool: { name: 'lifeboat', version: 'test' },
      source: { project: 'sms' },
      compression: { format: 'gzip' },
      file: { name: 'sms_backup_20260101_000000.sql.gz', bytes: data.length, sha256: createHash('sha256').update(data).digest('hex') },
      verifications: [],
    });
    let asked = false;
    await assert.rejects(
      restoreDatabase(docker, stack, { file, backupDir: dir, logger: silent, confirm: async () => (asked = true) }),
      unreachable,
    );
    assert.equal(asked, false);
    assert.deepEqual((await readManifest(file)).manifest?.verifications, []);
    assert.deepEqual((await fs.readdir(dir)).sort(), ['database']);
  });
  it('a full verification is an error of this run, not a failed verification recorded against the backup', async () => {
    const file = join(dir, 'sms_backup_20260101_000000.sql.gz');
    await fs.writeFile(file, gzipSync('--\n-- PostgreSQL database dump\n--\n\n-- PostgreSQL database dump complete\n'));
    await assert.rejects(verifyBackup(file, { depth: 'full', docker, stack }), unreachable);
    assert.deepEqual(await fs.readdir(dir), ['sms_backup_20260101_000000.sql.gz'], 'no manifest records a failure');
  });
});
