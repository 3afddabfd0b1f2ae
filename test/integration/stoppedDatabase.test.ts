import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { REPO, docker, postgresImage, tempDir } from './harness';

const CLI = join(REPO, 'dist', 'cli.js');

/**
 * A Compose-labelled PostgreSQL container of its own, created and never started: the stack is
 * down. Touches nothing of the demo stack.
 */
describe('the command line with a stopped database container (dist/cli.js)', function () {
  this.timeout(180_000);
  let folder: string;
  let container: Docker.Container | undefined;
  const project = `lbstopped${randomBytes(4).toString('hex')}`;

  before(async () => {
    await fs.access(CLI).catch(() => {
      throw new Error(`${CLI} is missing: run node scripts/build.mjs`);
    });
    folder = await tempDir('stopped');
    container = await docker.createContainer({
      name: `${project}-db-1`,
      Image: await postgresImage(),
      Env: ['POSTGRES_USER=lb', 'POSTGRES_PASSWORD=lb-test-only', 'POSTGRES_DB=lbdb'],
      Labels: {
        'com.docker.compose.project': project,
        'com.docker.compose.project.working_dir': folder,
        'com.docker.compose.service': 'db',
      },
      HostConfig: { NetworkMode: 'none' },
    });
  });

  after(async () => {
    // `v`: the image declares a VOLUME, which create made as an anonymous volume.
    await container?.remove({ force: true, v: true }).catch(() => undefined);
    if (folder) await fs.rm(folder, { recursive: true, force: true });
  });

  it('backup database exits 3 (the stack is unavailable) and says to start it', async () => {
    const r = await new Promise<{ code: number; stderr: string }>((resolve) =>
      execFile(process.execPath, [CLI, 'backup', 'database', '--folder', folder], (err, _stdout, stderr) =>
        resolve({ code: err ? Number((err as { code?: unknown }).code) : 0, stderr }),
      ),
    );
    assert.equal(r.code, 3, r.stderr);
    assert.match(
      r.stderr,
      new RegExp(
        `lifeboat: error: The database container "${project}-db-1" is not running \\(created\\), so there is nothing to back up from\\.`,
      ),
    );
    assert.match(
      r.stderr,
      /Start the stack with `docker compose up -d` in its folder \(or only the database: `docker compose start db`\), then retry\./,
    );
    assert.deepEqual(await fs.readdir(join(folder, 'backups', 'database')).catch(() => []), [], 'no backup and no partial file');
  });
});
