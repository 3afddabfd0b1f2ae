// `npm run bench`: Lifeboat against the runbook's own shell pipelines, same data, same run.
// Not a test: it prints figures (times, ratios, sizes, peak RSS) for the issue notes.
import { execFile, spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const REPO = join(__dirname, '..', '..');
const CONTAINER = process.env.LIFEBOAT_BENCH_CONTAINER ?? 'lifeboat-bench-pg';
const PORT = process.env.LIFEBOAT_BENCH_PORT ?? '55492';
const SQL_MB = Number(process.env.LIFEBOAT_BENCH_MB ?? 220);
const ROUNDS = Number(process.env.LIFEBOAT_BENCH_ROUNDS ?? 3);
const LEVEL = 6;

async function exists(container: string): Promise<boolean> {
  return run('docker', ['inspect', container]).then(
    () => true,
    () => false,
  );
}

async function ensureBenchDatabase(): Promise<void> {
  if (!(await exists(CONTAINER))) {
    console.log(`creating ${CONTAINER} (PostgreSQL on 127.0.0.1:${PORT})`);
    await run('docker', [
      'run',
      '-d',
      '--name',
      CONTAINER,
      '--network',
      'host',
      '-e',
      'POSTGRES_USER=bench',
      '-e',
      'POSTGRES_PASSWORD=bench-only',
      '-e',
      'POSTGRES_DB=benchdb',
      '-e',
      `PGPORT=${PORT}`,
      '-e',
      'POSTGRES_LISTEN_ADDRESSES=127.0.0.1',
      '--health-cmd',
      'pg_isready -q -U bench -d benchdb',
      '--health-interval',
      '1s',
      '--health-retries',
      '90',
      'lifeboat/postgres:15',
    ]);
  } else {
    await run('docker', ['start', CONTAINER]);
  }
  for (let i = 0; i < 120; i++) {
    const { stdout } = await run('docker', ['inspect', '-f', '{{.State.Health.Status}}', CONTAINER]);
    if (stdout.trim() === 'healthy') break;
    await new Promise((r) => setTimeout(r, 500));
  }
  console.log(`seeding ${CONTAINER} to at least ${SQL_MB} MiB of SQL (skipped when already there)`);
  await run(join(REPO, 'scripts/env/seed-large.sh'), [String(SQL_MB)], {
    env: { ...process.env, LIFEBOAT_DB_CONTAINER: CONTAINER, LIFEBOAT_DB_USER: 'bench', LIFEBOAT_DB_NAME: 'benchdb' },
    maxBuffer: 16 * 1024 * 1024,
  });
}

interface Sample {
  ms: number;
  bytes: number;
  maxRssKb?: number;
}

/** The runbook's daily job: `docker exec sms-db pg_dump ... | gzip > file`, with pipefail. */
async function shellBackup(dir: string, i: number): Promise<Sample> {
  const file = join(dir, `shell_${i}.sql.gz`);
  const started = process.hrtime.bigint();
  await run('bash', [
    '-o',
    'pipefail',
    '-c',
    `docker exec "$1" pg_dump -U bench -d benchdb | gzip -${LEVEL} > "$2"`,
    'bench',
    CONTAINER,
    file,
  ]);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const bytes = (await fs.stat(file)).size;
  await fs.rm(file);
  return { ms, bytes };
}

/** Runs one of the bench/*Once entries in a child process and parses its JSON line. */
async function child<T>(entry: string, args: string[]): Promise<T> {
  const out = await new Promise<string>((resolve, reject) => {
    const c = spawn(process.execPath, [join(__dirname, entry), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    c.stdout.on('data', (d) => (text += d));
    c.on('error', reject);
    c.on('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`${entry} exited ${code}`))));
  });
  return JSON.parse(out) as T;
}

async function lifeboatBackup(dir: string): Promise<Sample> {
  const r = await child<Sample & { path: string }>('backupOnce.js', [CONTAINER, dir, String(LEVEL)]);
  await fs.rm(r.path);
  await fs.rm(`${r.path}.json`);
  return r;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function benchDatabaseBackup(): Promise<void> {
  const dir = await fs.mkdtemp(join(tmpdir(), 'lifeboat-bench-'));
  const shell: Sample[] = [];
  const ours: Sample[] = [];
  // Warm the server's cache once so neither side pays for the first read.
  await shellBackup(dir, -1);
  for (let i = 0; i < ROUNDS; i++) {
    // Alternate who goes first so drift on the machine hits both alike.
    if (i % 2 === 0) {
      shell.push(await shellBackup(dir, i));
      ours.push(await lifeboatBackup(dir));
    } else {
      ours.push(await lifeboatBackup(dir));
      shell.push(await shellBackup(dir, i));
    }
    console.log(`  round ${i + 1}: shell ${(shell[i].ms / 1000).toFixed(2)} s, lifeboat ${(ours[i].ms / 1000).toFixed(2)} s`);
  }
  const { stdout } = await run('bash', [
    '-o',
    'pipefail',
    '-c',
    'docker exec "$1" pg_dump -U bench -d benchdb | wc -c',
    'bench',
    CONTAINER,
  ]);
  const sqlMb = Number(stdout.trim()) / 1048576;
  const shellMs = median(shell.map((s) => s.ms));
  const oursMs = median(ours.map((s) => s.ms));
  const rss = Math.max(...ours.map((s) => s.maxRssKb ?? 0)) / 1024;
  console.log(`\ndatabase backup, ${sqlMb.toFixed(0)} MiB of SQL, gzip level ${LEVEL}, median of ${ROUNDS}:`);
  console.log(
    `  runbook  docker exec pg_dump | gzip > file   ${(shellMs / 1000).toFixed(2)} s   ${(shell[0].bytes / 1048576).toFixed(1)} MiB`,
  );
  console.log(
    `  lifeboat backupDatabase                      ${(oursMs / 1000).toFixed(2)} s   ${(ours[0].bytes / 1048576).toFixed(1)} MiB   peak RSS ${rss.toFixed(0)} MiB`,
  );
  console.log(
    `  time ratio lifeboat/runbook ${(oursMs / shellMs).toFixed(2)}x   size ratio ${(ours[0].bytes / shell[0].bytes).toFixed(3)}x`,
  );
  await fs.rm(dir, { recursive: true, force: true });
}

async function psqlBench(db: string, sql: string): Promise<void> {
  await run('docker', ['exec', CONTAINER, 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-U', 'bench', '-d', db, '-c', sql]);
}

/** The runbook's restore: `gunzip -c file | docker exec -i sms-db psql ...` into a new database. */
async function shellRestore(file: string): Promise<Sample> {
  await psqlBench('postgres', 'DROP DATABASE IF EXISTS bench_shell_restore');
  await psqlBench('postgres', 'CREATE DATABASE bench_shell_restore TEMPLATE template0');
  const started = process.hrtime.bigint();
  await run(
    'bash',
    [
      '-o',
      'pipefail',
      '-c',
      'gunzip -c "$1" | docker exec -i "$2" psql -X -q -U bench -d bench_shell_restore > /dev/null',
      'bench',
      file,
      CONTAINER,
    ],
    {
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  await psqlBench('postgres', 'DROP DATABASE bench_shell_restore');
  return { ms, bytes: 0 };
}

async function benchDatabaseRestore(): Promise<void> {
  const dir = await fs.mkdtemp(join(tmpdir(), 'lifeboat-bench-restore-'));
  const { path: file } = await child<{ path: string }>('backupOnce.js', [CONTAINER, dir, String(LEVEL)]);
  type Restore = Sample & { via: string };
  const shell: Sample[] = [];
  const direct: Restore[] = [];
  const psql: Restore[] = [];
  const rounds = Math.max(1, Math.min(ROUNDS, 3));
  const sides = [
    async () => shell.push(await shellRestore(file)),
    async () => direct.push(await child<Restore>('restoreOnce.js', [CONTAINER, dir, file, 'direct'])),
    async () => psql.push(await child<Restore>('restoreOnce.js', [CONTAINER, dir, file, 'exec'])),
  ];
  for (let i = 0; i < rounds; i++) {
    // Rotate who goes first so drift on the machine hits every side alike.
    for (let k = 0; k < sides.length; k++) await sides[(i + k) % sides.length]();
    console.log(
      `  round ${i + 1}: shell ${(shell[i].ms / 1000).toFixed(2)} s, lifeboat ${(direct[i].ms / 1000).toFixed(2)} s (${direct[i].via}), lifeboat through psql ${(psql[i].ms / 1000).toFixed(2)} s`,
    );
  }
  const shellMs = median(shell.map((s) => s.ms));
  const directMs = median(direct.map((s) => s.ms));
  const psqlMs = median(psql.map((s) => s.ms));
  const rss = (xs: Restore[]) => (Math.max(...xs.map((s) => s.maxRssKb ?? 0)) / 1024).toFixed(0);
  const gz = (await fs.stat(file)).size / 1048576;
  console.log(`\ndatabase restore of a ${gz.toFixed(1)} MiB .sql.gz, median of ${rounds}:`);
  console.log(`  runbook  gunzip -c | docker exec -i psql (no checks)             ${(shellMs / 1000).toFixed(2)} s`);
  console.log(`  lifeboat check + one-transaction load + row-count proof:`);
  console.log(
    `           over a direct connection (the default)              ${(directMs / 1000).toFixed(2)} s   peak RSS ${rss(direct)} MiB   ${(directMs / shellMs).toFixed(2)}x`,
  );
  console.log(
    `           through psql in the container (the fallback)        ${(psqlMs / 1000).toFixed(2)} s   peak RSS ${rss(psql)} MiB   ${(psqlMs / shellMs).toFixed(2)}x`,
  );
  console.log(`  time ratio lifeboat/runbook ${(directMs / shellMs).toFixed(2)}x`);
  await fs.rm(dir, { recursive: true, force: true });
}

/** The crypto and volume benchmarks run as their own entries, with their own data. */
function entry(name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [join(__dirname, name)], { stdio: 'inherit' });
    c.on('error', reject);
    c.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${name} exited ${code}`))));
  });
}

async function main(): Promise<void> {
  // `npm run bench -- backup|restore|crypto|verify|volume|offsite|offsite-folder|sftp` runs one part.
  const only = process.argv[2];
  if (!only || only === 'backup' || only === 'restore') await ensureBenchDatabase();
  if (!only || only === 'backup') await benchDatabaseBackup();
  if (!only || only === 'restore') await benchDatabaseRestore();
  if (!only || only === 'crypto') await entry('crypto.js');
  if (!only || only === 'verify') await entry('verify.js');
  if (!only || only === 'volume') await entry('volume.js');
  if (!only || only === 'offsite') await entry('offsite.js');
  if (!only || only === 'offsite-folder') await entry('offsiteFolder.js');
  if (!only || only === 'sftp') await entry('sftp.js');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
