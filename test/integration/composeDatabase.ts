// A PostgreSQL container on a second engine as `docker compose up` would have made it, for the
// tests that point Lifeboat at that engine. User "app", database "appdb".
import { promises as fs } from 'node:fs';
import { assertPortFree, postgresImage, untilAnswers } from './harness';
import { copyImage, type SecondEngine } from './secondEngine';

export interface ComposeDatabaseOptions {
  /** The Compose project; the container is `<project>-db`, its service "db". */
  project: string;
  /** The folder Compose ran in (the working_dir label discovery matches); made when missing. */
  workingDir: string;
  password: string;
  /** PostgreSQL on 127.0.0.1:port of the host network; without a port, network none (out of Lifeboat's direct reach). */
  port?: number;
  /** The data volume; `labelled` creates it first with the project's label, as Compose does. */
  volume?: { name: string; labelled?: boolean };
}

/**
 * Starts the container, with postgresImage() copied to the engine first when it lacks it, and
 * waits until it answers; `sql` runs psql in it. A port in use is refused before anything starts.
 */
export async function startComposeDatabase(
  engine: SecondEngine,
  opts: ComposeDatabaseOptions,
): Promise<{ name: string; sql: (query: string) => Promise<string> }> {
  const name = `${opts.project}-db`;
  if (opts.port) await assertPortFree(opts.port);
  const image = await postgresImage();
  if (
    !(await engine.cli(['image', 'inspect', image]).then(
      () => true,
      () => false,
    ))
  )
    await copyImage(engine, image);
  await fs.mkdir(opts.workingDir, { recursive: true });
  if (opts.volume?.labelled)
    await engine.cli(['volume', 'create', '--label', `com.docker.compose.project=${opts.project}`, opts.volume.name]);
  const network = opts.port
    ? ['--network', 'host', '-e', `PGPORT=${opts.port}`, '-e', 'POSTGRES_LISTEN_ADDRESSES=127.0.0.1']
    : ['--network', 'none'];
  await engine.cli([
    'run',
    '-d',
    '--name',
    name,
    ...network,
    '--label',
    `com.docker.compose.project=${opts.project}`,
    '--label',
    'com.docker.compose.service=db',
    '--label',
    `com.docker.compose.project.working_dir=${opts.workingDir}`,
    '-e',
    'POSTGRES_USER=app',
    '-e',
    `POSTGRES_PASSWORD=${opts.password}`,
    '-e',
    'POSTGRES_DB=appdb',
    ...(opts.volume ? ['-v', `${opts.volume.name}:/var/lib/postgresql/data`] : []),
    image,
  ]);
  const sql = async (query: string) =>
    (await engine.cli(['exec', name, 'psql', '-X', '-v', 'ON_ERROR_STOP=1', '-At', '-U', 'app', '-d', 'appdb', '-c', query])).trim();
  await untilAnswers(sql, `PostgreSQL "${name}" on the second engine`);
  return { name, sql };
}
