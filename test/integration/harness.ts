import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as net from 'node:net';
import { promisify } from 'node:util';
import type Docker from 'dockerode';
import { connectDocker } from '../../src/core/docker';
import { Stack, discoverStack } from '../../src/core/stack';
import type { Logger } from '../../src/core/common';

/**
 * Shared pieces of the integration suites. They drive the real engine and real PostgreSQL
 * containers; `scripts/env/stack-up.sh` (run by `npm test`) brings the demo stack up first.
 * The docker CLI is used to arrange and inspect, never to do the work under test.
 */
export const run = promisify(execFile);
export const REPO = join(__dirname, '..', '..', '..');
export const DEMO_DIR = join(REPO, 'demo');
export const docker: Docker = connectDocker();

export async function demoStack(): Promise<Stack> {
  try {
    return await discoverStack(docker, { folder: DEMO_DIR });
  } catch (err) {
    throw new Error(`The demo stack is not up (${(err as Error).message}). Run scripts/env/stack-up.sh first.`);
  }
}

export async function tempDir(tag: string): Promise<string> {
  return fs.mkdtemp(join(tmpdir(), `lifeboat-${tag}-`));
}

/** SQL through psql in a container; ON_ERROR_STOP so a broken fixture fails loudly. */
export async function psql(container: string, user: string, db: string, sql: string): Promise<string> {
  const { stdout } = await run(
    'docker',
    ['exec', container, 'psql', '-X', '-v', 'ON_ERROR_STOP=1', '-At', '-U', user, '-d', db, '-c', sql],
    {
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  return stdout.trim();
}

/** Exact row counts of every user table, keyed like pg_dump writes them (`schema.table`). */
export async function rowCounts(container: string, user: string, db: string): Promise<Record<string, number>> {
  const out = await psql(
    container,
    user,
    db,
    `SELECT quote_ident(table_schema) || '.' || quote_ident(table_name),
            (xpath('/row/c/text()', query_to_xml(format('select count(*) as c from %I.%I', table_schema, table_name), false, true, '')))[1]::text
       FROM information_schema.tables
      WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')
      ORDER BY 1`,
  );
  const counts: Record<string, number> = {};
  for (const line of out.split('\n').filter(Boolean)) {
    const [table, n] = line.split('|');
    counts[table] = Number(n);
  }
  return counts;
}

export async function imageExists(name: string): Promise<boolean> {
  try {
    await docker.getImage(name).inspect();
    return true;
  } catch {
    return false;
  }
}

/** A PostgreSQL image already on the engine: tests never pull. */
export async function postgresImage(): Promise<string> {
  for (const name of [process.env.LIFEBOAT_PG_IMAGE, 'postgres:16', 'lifeboat/postgres:15']) {
    if (name && (await imageExists(name))) return name;
  }
  throw new Error('No PostgreSQL image on the engine; run scripts/env/build-images.sh.');
}

export async function waitHealthy(container: string, timeoutMs = 60000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const info = await docker.getContainer(container).inspect();
    if (info.State.Health?.Status === 'healthy') return;
    if (Date.now() > deadline) throw new Error(`${container} not healthy after ${timeoutMs} ms (${info.State.Status})`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

export interface ScratchDb {
  container: string;
  stack: Stack;
  remove(): Promise<void>;
}

/**
 * Waits until `sql('SELECT 1')` answers, for a PostgreSQL container with no health check the
 * test can read (another engine, Podman without systemd): two minutes, then an error naming `what`.
 */
export async function untilAnswers(sql: (query: string) => Promise<string>, what: string): Promise<void> {
  for (let i = 0; (await sql('SELECT 1').catch(() => '')) !== '1'; i++) {
    if (i > 240) throw new Error(`${what} did not become ready`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** A port nothing listens on now, for a test server of its own. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/**
 * Refuses a fixed test port that something else holds, naming it: otherwise the test's server
 * fails to bind and the test reports a container that never became healthy.
 */
export async function assertPortFree(port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'EADDRINUSE'
          ? new Error(
              `port ${port} is in use on 127.0.0.1 (the test needs it for its own PostgreSQL); stop what holds it (ss -ltnp 'sport = :${port}') and retry`,
            )
          : err,
      ),
    );
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve()));
  });
}

/** The environment and health check of a test's PostgreSQL: user and database lb, on 127.0.0.1:`port`. */
function postgresArgs(port: number): string[] {
  const env = [
    'POSTGRES_USER=lb',
    'POSTGRES_PASSWORD=lb-test-only',
    'POSTGRES_DB=lbdb',
    `PGPORT=${port}`,
    'POSTGRES_LISTEN_ADDRESSES=127.0.0.1',
  ];
  return [
    ...env.flatMap((e) => ['-e', e]),
    '--health-cmd',
    'pg_isready -q -U lb -d lbdb',
    '--health-interval',
    '1s',
    '--health-retries',
    '60',
  ];
}

/**
 * Waits until a `.partial` file in `folder` holds `bytes` or more (an operation caught while it
 * writes); fails after `timeoutMs`, naming the size reached.
 */
export async function untilPartialGrows(folder: string, bytes: number, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let size = 0;
  for (;;) {
    const name = (await fs.readdir(folder).catch(() => [] as string[])).find((f) => f.endsWith('.partial'));
    size = name ? (await fs.stat(join(folder, name)).catch(() => ({ size: 0 }))).size : 0;
    if (name && size >= bytes) return name;
    if (Date.now() > deadline) throw new Error(`the partial file in ${folder} grew to ${size} bytes only`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * A PostgreSQL container of its own, for tests that stop, kill or fill things: the demo stack
 * stays untouched. Host network on a port of its own (no bridge networks on these machines).
 */
export async function scratchPostgres(name: string, port: number, sqlBytes: number): Promise<ScratchDb> {
  const image = await postgresImage();
  await run('docker', ['rm', '-f', name]).catch(() => undefined);
  await assertPortFree(port);
  await run('docker', ['run', '-d', '--name', name, '--network', 'host', ...postgresArgs(port), image]);
  await waitHealthy(name);
  // Rows of mixed, not very compressible text, so a dump of `sqlBytes` takes a moment to stream.
  const rows = Math.ceil(sqlBytes / 120);
  await psql(
    name,
    'lb',
    'lbdb',
    `CREATE TABLE events (id bigint PRIMARY KEY, at timestamptz, kind text, payload text);
     INSERT INTO events SELECT g, now() - g * interval '1 second', (ARRAY['login','view','edit','export'])[1 + g % 4],
            md5(g::text) || ' ' || md5((g * 7)::text) || ' ' || substr(md5(random()::text), 1, 1 + (g % 30))
       FROM generate_series(1, ${rows}) g;
     CREATE TABLE notes (id serial PRIMARY KEY, body text);
     INSERT INTO notes (body) SELECT 'note ' || g FROM generate_series(1, 250) g;`,
  );
  const stack = await discoverStack(docker, { dbContainer: name });
  return {
    container: name,
    stack,
    async remove() {
      await run('docker', ['rm', '-f', '-v', name]).catch(() => undefined);
    },
  };
}

/** A PostgreSQL container of a made-up Compose project, its data on a volume of that project. */
export interface ProjectPostgres {
  project: string;
  volume: string;
  container: string;
  port: number;
  image?: string;
}

/**
 * Runs the project's database container on its volume (labelled as Compose labels them, so the
 * project rules hold as with a real stack), waits until healthy. The volume is made first
 * when missing, with `volumeLabels` beside the project's own.
 */
export async function startProjectPostgres(p: ProjectPostgres, volumeLabels: Record<string, string> = {}): Promise<void> {
  await run('docker', ['rm', '-f', p.container]).catch(() => undefined);
  await assertPortFree(p.port);
  if (
    !(await docker
      .getVolume(p.volume)
      .inspect()
      .then(
        () => true,
        () => false,
      ))
  ) {
    const labels = { 'com.docker.compose.project': p.project, ...volumeLabels };
    await run('docker', ['volume', 'create', ...Object.entries(labels).flatMap(([k, v]) => ['--label', `${k}=${v}`]), p.volume]);
  }
  await run('docker', [
    'run',
    '-d',
    '--name',
    p.container,
    '--network',
    'host',
    '--label',
    `com.docker.compose.project=${p.project}`,
    '--label',
    'com.docker.compose.service=db',
    '-v',
    `${p.volume}:/var/lib/postgresql/data`,
    ...postgresArgs(p.port),
    p.image ?? 'lifeboat/postgres:15',
  ]);
  await waitHealthy(p.container);
}

/** Removes the project's database container, its volume and any helper Lifeboat left on that volume. */
export async function removeProjectPostgres(p: ProjectPostgres): Promise<void> {
  await run('docker', ['rm', '-f', p.container]).catch(() => undefined);
  for (const h of await volumeHelpers(p.volume).catch(() => [])) await run('docker', ['rm', '-f', '-v', h]).catch(() => undefined);
  await run('docker', ['volume', 'rm', '-f', p.volume]).catch(() => undefined);
}

/** Lifeboat's helper containers (running or not) that work on `volume`. */
export async function volumeHelpers(volume: string): Promise<string[]> {
  const { stdout } = await run('docker', [
    'ps',
    '-a',
    '--filter',
    'label=io.lifeboat.helper',
    '--filter',
    `label=io.lifeboat.volume=${volume}`,
    '--format',
    '{{.Names}}',
  ]);
  return stdout.split('\n').filter(Boolean);
}

export const HELPER_IMAGE = 'lifeboat/helper:latest';

/** Runs `argv` in a throwaway helper with `volume` at /data (read-only when asked); its stdout. */
export async function inVolume(volume: string, argv: string[], opts: { readOnly?: boolean } = {}): Promise<string> {
  const mount = `${volume}:/data${opts.readOnly ? ':ro' : ''}`;
  const { stdout } = await run('docker', ['run', '--rm', '--network', 'none', '-v', mount, HELPER_IMAGE, ...argv], {
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout;
}

/** A shell script in a throwaway helper on `volume` (the docker CLI arranges fixtures; the code under test runs none). */
export function shInVolume(volume: string, script: string): Promise<string> {
  return inVolume(volume, ['sh', '-c', script]);
}

export async function running(container: string): Promise<boolean> {
  return !!(await docker.getContainer(container).inspect()).State.Running;
}

export async function sha256(path: string): Promise<string> {
  return createHash('sha256')
    .update(await fs.readFile(path))
    .digest('hex');
}

export function collectingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    info: (m) => lines.push(`info ${m}`),
    warn: (m) => lines.push(`warn ${m}`),
    error: (m) => lines.push(`error ${m}`),
    tool: (n, o) => lines.push(`${n} ${o}`),
  };
}

/** Files in a folder tree, to prove nothing was left behind or touched. */
export async function snapshotFiles(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  async function walk(d: string) {
    let names: string[];
    try {
      names = await fs.readdir(d);
    } catch {
      return;
    }
    for (const n of names) {
      const p = join(d, n);
      const st = await fs.stat(p);
      if (st.isDirectory()) await walk(p);
      else
        out[p.slice(dir.length + 1)] = `${st.size}:${st.mtimeMs}:${createHash('sha256')
          .update(await fs.readFile(p))
          .digest('hex')}`;
    }
  }
  await walk(dir);
  return out;
}

/**
 * Row counts plus an md5 of every table's ordered rows: equal fingerprints mean the data did
 * not change, which is what every bad-input restore test must prove about the live database.
 */
export async function dataFingerprint(container: string, user: string, db: string): Promise<string> {
  const counts = await rowCounts(container, user, db);
  const parts: string[] = [];
  for (const table of Object.keys(counts).sort()) {
    const md5 = await psql(container, user, db, `SELECT md5(coalesce(string_agg(x::text, E'\\n' ORDER BY x::text), '')) FROM ${table} x`);
    parts.push(`${table}:${counts[table]}:${md5}`);
  }
  return parts.join('\n');
}

export async function databases(container: string, user: string): Promise<string[]> {
  return (await psql(container, user, 'postgres', 'SELECT datname FROM pg_database ORDER BY 1')).split('\n');
}
