import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { NoStackError, discoverStack } from '../../src/core/stack';
import { docker, postgresImage, tempDir } from './harness';

const HELPER = 'lifeboat/helper:latest';
const PROJECT = 'com.docker.compose.project';
const WORKING_DIR = 'com.docker.compose.project.working_dir';
const SERVICE = 'com.docker.compose.service';

/**
 * Stacks of created (never started) containers with Compose labels, so each way of finding the
 * database can be seen against the real engine's listing and inspect output. Touches nothing of
 * the demo stack: every name and project here is this run's own.
 */
describe('discoverStack against the engine: which container is the database, and what it says', function () {
  this.timeout(120_000);
  const tag = randomBytes(4).toString('hex');
  const project = `lbdisc${tag}`;
  const volume = `lbdisc${tag}_data`;
  const made: Docker.Container[] = [];
  let folder: string;
  let pg: string;
  const gone = `/nonexistent/lbdisc${tag}`;

  async function create(name: string, image: string, env: string[], labels: Record<string, string>, binds: string[] = []): Promise<void> {
    made.push(
      await docker.createContainer({
        name,
        Image: image,
        Env: env,
        Labels: labels,
        HostConfig: { NetworkMode: 'none', Binds: binds },
        Cmd: ['true'],
      }),
    );
  }

  before(async () => {
    folder = await tempDir('disc');
    pg = await postgresImage();
    const labels = (service: string) => ({ [PROJECT]: project, [WORKING_DIR]: folder, [SERVICE]: service });
    // An exporter-like sidecar that looks like PostgreSQL but names no database, and the real one.
    await create(`${project}-exporter-1`, pg, [], labels('exporter'));
    await create(`${project}-db-1`, pg, ['POSTGRES_USER=shop', 'POSTGRES_DB=orders', 'PGDATA=/var/lib/postgresql/data'], labels('db'), [
      `${volume}:/var/lib/postgresql/data`,
    ]);
    await create(`${project}-web-1`, HELPER, ['APP=1'], labels('web'), [`${volume}:/srv/data:ro`, `${folder}:/srv/conf:ro`]);
    // Outside any project: found only by name.
    await create(`${project}-loose`, HELPER, ['PGUSER=loner', 'PGDATABASE=lonely', 'NOEQUALS'], {});
    await create(`${project}-bare`, HELPER, [], {});
    // A project with no PostgreSQL at all.
    await create(`${project}x-web-1`, HELPER, ['APP=1'], { [PROJECT]: `${project}x`, [WORKING_DIR]: gone, [SERVICE]: 'web' });
  });

  after(async () => {
    for (const c of made) await c.remove({ force: true, v: true }).catch(() => undefined);
    await docker
      .getVolume(volume)
      .remove()
      .catch(() => undefined);
  });

  it('prefers the container that names its database over a PostgreSQL-looking sidecar, and finds shared volumes', async () => {
    const stack = await discoverStack(docker, { folder });
    assert.equal(stack.project, project);
    assert.equal(stack.workingDir, folder);
    assert.equal(stack.db.name, `${project}-db-1`);
    assert.equal(stack.db.service, 'db');
    assert.equal(stack.db.user, 'shop');
    assert.equal(stack.db.database, 'orders');
    assert.deepEqual(stack.apps.map((a) => a.name).sort(), [`${project}-exporter-1`, `${project}-web-1`]);
    const data = stack.volumes.find((v) => v.name === volume);
    assert.ok(data, JSON.stringify(stack.volumes));
    assert.equal(data.destination, '/var/lib/postgresql/data');
    assert.deepEqual(data.usedBy.sort(), [`${project}-db-1`, `${project}-web-1`]);
    assert.ok(!stack.volumes.some((v) => v.name === folder), 'a bind mount is not a volume');
  });

  it('settings override the user and database; the project setting finds the same stack', async () => {
    const stack = await discoverStack(docker, { folder, user: 'admin', database: 'reports' });
    assert.deepEqual([stack.db.user, stack.db.database], ['admin', 'reports']);
    const byProject = await discoverStack(docker, { composeProject: project });
    assert.equal(byProject.db.name, `${project}-db-1`);
  });

  it('a container named in the settings outside any project is the whole stack; PG* variables give user and database', async () => {
    const stack = await discoverStack(docker, { dbContainer: `${project}-loose` });
    assert.equal(stack.project, undefined);
    assert.equal(stack.db.user, 'loner');
    assert.equal(stack.db.database, 'lonely');
    assert.deepEqual(stack.apps, []);
    const bare = await discoverStack(docker, { dbContainer: `${project}-bare` });
    assert.deepEqual([bare.db.user, bare.db.database], ['postgres', 'postgres'], "PostgreSQL's own defaults");
    const named = await discoverStack(docker, { dbContainer: `${project}-web-1` });
    assert.equal(named.project, project, "a named container brings its project's other containers");
    assert.equal(named.apps.length, 2);
  });

  it('refusals name what was looked for and the setting that fixes it', async () => {
    await assert.rejects(
      discoverStack(docker, { dbContainer: `${project}-db` }),
      (err: Error) =>
        err instanceof NoStackError &&
        err.message === `No container is named "${project}-db" (setting lifeboat.database.container).` &&
        /docker ps -a/.test(err.hint ?? ''),
    );
    await assert.rejects(
      discoverStack(docker, { composeProject: `${project}-none` }),
      (err: Error) => err instanceof NoStackError && err.message === `No containers of Compose project "${project}-none" were found.`,
    );
    const elsewhere = join(folder, 'not-a-project');
    await assert.rejects(
      discoverStack(docker, { folder: elsewhere }),
      (err: Error) =>
        err instanceof NoStackError &&
        err.message === `No containers of a Compose project started from ${elsewhere} were found.` &&
        /lifeboat\.composeProject/.test(err.hint ?? ''),
    );
    await assert.rejects(
      discoverStack(docker, {}),
      (err: Error) =>
        err instanceof NoStackError && err.message === 'No containers of a Compose project started from this workspace were found.',
    );
    // A folder that no longer exists still matches the label Compose wrote when it started there.
    await assert.rejects(
      discoverStack(docker, { folder: gone }),
      (err: Error) =>
        err instanceof NoStackError &&
        err.message === `The Compose project "${project}x" has no PostgreSQL container.` &&
        /lifeboat\.database\.container/.test(err.hint ?? ''),
    );
  });
});
