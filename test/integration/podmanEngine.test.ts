// Podman's Docker-compatible API (`podman system service`), as Podman Desktop and Fedora users
// run it: a PostgreSQL container with Compose labels on Podman, found, backed up, verified by a
// test restore, restored, and its volume snapshotted, all through lifeboat.docker.host.
import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { backupDatabase, restoreDatabase } from '../../src/core/database';
import { discoverStack, type Stack } from '../../src/core/stack';
import { connectDocker, pingDocker, selectEngine } from '../../src/core/docker';
import { verifyBackup } from '../../src/core/verify';
import { restoreVolume, snapshotVolume } from '../../src/core/volume';
import { assertPortFree, run, tempDir, untilAnswers } from './harness';

const PODMAN = '/usr/bin/podman';
const IMAGE = 'localhost/lifeboat/postgres:15';
const PROJECT = 'lbpodman';
const PORT = 55439;

async function podmanSql(sql: string): Promise<string> {
  const { stdout } = await run(PODMAN, [
    'exec',
    `${PROJECT}-db`,
    'psql',
    '-X',
    '-v',
    'ON_ERROR_STOP=1',
    '-At',
    '-U',
    'app',
    '-d',
    'appdb',
    '-c',
    sql,
  ]);
  return stdout.trim();
}

/** With its health check off, only an answer says the server is up. */
const waitReady = (what: string) => untilAnswers(podmanSql, `PostgreSQL on Podman ${what}`);

describe('Podman (podman system service, its Docker-compatible API)', function () {
  this.timeout(300_000);
  let dir: string;
  let service: ChildProcess | undefined;
  let client: Docker;
  let stack: Stack;

  before(async function () {
    if (!existsSync(PODMAN)) throw new Error(`${PODMAN} is missing: scripts/env/install-system.sh installs podman`);
    dir = await tempDir('podman');
    // Podman keeps images of its own: the locally built PostgreSQL image goes over once (~15 s).
    if (
      (await run(PODMAN, ['image', 'exists', IMAGE]).then(
        () => true,
        () => false,
      )) === false
    ) {
      await run('bash', ['-o', 'pipefail', '-c', `docker save lifeboat/postgres:15 | ${PODMAN} load -q`]);
    }
    await run(PODMAN, ['rm', '-f', '-v', `${PROJECT}-db`]).catch(() => undefined);
    await run(PODMAN, ['volume', 'rm', '-f', `${PROJECT}_data`]).catch(() => undefined);
    await assertPortFree(PORT);
    const socket = join(dir, 'podman.sock');
    // Rootful Podman raises a container's open-files and process limits to its own maximums,
    // which a sandbox with lower limits refuses (seen here: "error setting rlimit type 7").
    // 4096 of each is plenty for PostgreSQL and the snapshot helper.
    const conf = join(dir, 'containers.conf');
    await fs.writeFile(conf, '[containers]\ndefault_ulimits = ["nofile=4096:4096", "nproc=4096:4096"]\n');
    service = spawn(PODMAN, ['system', 'service', '--time=0', `unix://${socket}`], {
      stdio: 'ignore',
      env: { ...process.env, CONTAINERS_CONF: conf },
    });
    for (let i = 0; !existsSync(socket); i++) {
      if (i > 100) throw new Error('podman system service did not create its socket');
      await new Promise((r) => setTimeout(r, 100));
    }
    client = connectDocker(selectEngine({ env: {}, setting: `unix://${socket}` }));
    await pingDocker(client, 10_000);
    // What `docker compose up` would have made: Compose labels, the project's volume, host network.
    const container = await client.createContainer({
      name: `${PROJECT}-db`,
      Image: IMAGE,
      Env: [
        'POSTGRES_USER=app',
        'POSTGRES_PASSWORD=podman_test_pw',
        'POSTGRES_DB=appdb',
        `PGPORT=${PORT}`,
        'POSTGRES_LISTEN_ADDRESSES=127.0.0.1',
      ],
      Labels: {
        'com.docker.compose.project': PROJECT,
        'com.docker.compose.service': 'db',
        'com.docker.compose.project.working_dir': dir,
      },
      HostConfig: { NetworkMode: 'host', Binds: [`${PROJECT}_data:/var/lib/postgresql/data`] },
      // Podman runs health checks from systemd timers; without systemd (this machine, many CI
      // runners) a checked container stays "starting" forever, and a volume restore, which
      // waits for health, then rolls back. Seen here; on a systemd host the check runs.
      Healthcheck: { Test: ['NONE'] },
    });
    await container.start();
    await waitReady('after its first start');
    await podmanSql(
      "CREATE TABLE notes (id int PRIMARY KEY, body text); INSERT INTO notes SELECT g, 'note ' || g FROM generate_series(1, 2500) g",
    );
    stack = await discoverStack(client, { folder: dir });
  });

  after(async () => {
    await run(PODMAN, ['rm', '-f', '-v', `${PROJECT}-db`]).catch(() => undefined);
    await run(PODMAN, ['volume', 'rm', '-f', `${PROJECT}_data`]).catch(() => undefined);
    service?.kill('SIGTERM');
    connectDocker(selectEngine());
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it('discovers the Compose-labelled database on Podman', () => {
    assert.deepEqual([stack.project, stack.db.name, stack.db.user, stack.db.database], [PROJECT, `${PROJECT}-db`, 'app', 'appdb']);
  });

  it('backs up, verifies with a test restore, and restores with the old database kept', async () => {
    const backups = join(dir, 'backups');
    const made = await backupDatabase(client, stack, { backupDir: backups });
    const verified = await verifyBackup(made.path, { depth: 'full', docker: client, stack });
    assert.equal(verified.ok, true, verified.problem);
    assert.ok(
      verified.checks.some((c) => /test restore .* rows match/.test(c)),
      verified.checks.join('; '),
    );

    await podmanSql('DELETE FROM notes WHERE id > 1000');
    const result = await restoreDatabase(client, stack, {
      file: made.path,
      backupDir: backups,
      confirm: async () => true,
      migration: 'none',
    });
    assert.equal(result.status, 'restored');
    assert.equal(await podmanSql('SELECT count(*) FROM notes'), '2500');
    if (result.status === 'restored') assert.match(result.preRestore, /^appdb_pre_restore_/);
  });

  it('snapshots the volume through a helper container and rolls it back, the database stopped and started again', async () => {
    const backups = join(dir, 'backups');
    const snap = await snapshotVolume(client, { volume: `${PROJECT}_data`, backupDir: backups });
    assert.deepEqual(snap.stopped, [`${PROJECT}-db`]);
    assert.ok(snap.manifest.fileCount > 100, `only ${snap.manifest.fileCount} files`);
    assert.equal((await client.getContainer(`${PROJECT}-db`).inspect()).State.Running, true);

    await waitReady('after the snapshot');
    await podmanSql('DROP TABLE notes');
    await restoreVolume(client, { volume: `${PROJECT}_data`, file: snap.path, backupDir: backups, stack, healthTimeoutMs: 120_000 });
    await waitReady('after the volume restore');
    assert.equal(await podmanSql('SELECT count(*) FROM notes'), '2500');
  });
});
