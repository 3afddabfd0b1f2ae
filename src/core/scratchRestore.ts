import type Docker from 'dockerode';
import { randomBytes } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import type { BackupSource } from './backupSource';
import { countsFromTags, CopyTagCollector } from './copyTags';
import { gzipProblem } from './dumpCheck';
import { DumpFacts, DumpScanStream } from './dumpScanner';
import { HashStream } from './hashStream';
import { inflater } from './inflate';
import { CancelledError, LifeboatError } from './errors';
import { startExec } from './exec';
import { OperationOptions, noProgress } from './progress';
import { PsqlTarget, maintenanceDatabase, psql } from './psql';

export interface LoadTarget {
  container: Docker.Container;
  user: string;
  database: string;
}

/**
 * Creates `database` and loads a `.sql.gz` into it with psql, stopping at the first error
 * inside one transaction (`ON_ERROR_STOP`, `--single-transaction`): a dump that fails half
 * way leaves nothing behind, and psql cannot report success after SQL errors, which the
 * runbook's plain `gunzip -c | psql` does.
 */
export interface LoadResult {
  /** Facts of the whole SQL stream as it went into psql: check them with validateDump. */
  facts: DumpFacts;
  fileSha256: string;
  /**
   * Rows per table as the server reported them for each COPY (its command tags): an exact
   * count of what went in, without a second pass over the restored tables. Undefined when the
   * tags do not pair one to one with the dump's COPY blocks; then count the tables.
   */
  serverCounts?: Record<string, number>;
}

export async function loadDumpIntoNewDatabase(
  target: LoadTarget,
  source: BackupSource,
  opts: OperationOptions = {},
  /** Where the database was already made (createScratchDatabase ran ahead, overlapping other work). */
  created?: PsqlTarget,
): Promise<LoadResult> {
  const { path: file, fileBytes } = source;
  const progress = opts.progress ?? noProgress;
  const admin = created ?? (await createScratchDatabase(target));

  const appName = `lifeboat_${randomBytes(6).toString('hex')}`;
  const run = await startExec(
    target.container,
    {
      // Not quiet: the `COPY n` tags on stdout are the server's own row counts.
      argv: ['psql', '--no-password', '-X', '-v', 'ON_ERROR_STOP=1', '--single-transaction', '-U', target.user, '-d', target.database, '-f', '-'],
      env: [`PGAPPNAME=${appName}`],
    },
    { stdin: true },
  );
  let read = 0;
  // The file is hashed and its SQL scanned on the way in: one read proves and loads it.
  const hash = new HashStream((n) => (read = n));
  const scan = new DumpScanStream();
  const reportTimer = setInterval(() => progress({ phase: `Dry run: restoring into ${target.database}`, bytes: read, total: fileBytes }), 250);
  const onAbort = () => void terminate(admin, appName);
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    // psql stops at its first error (ON_ERROR_STOP) and exits; its output then ends. Feeding
    // it further would only fill the engine's buffers until the socket breaks, seconds later.
    const exited = new AbortController();
    const tags = new CopyTagCollector();
    const output = pipeline(run.stdout, tags).finally(() => exited.abort());
    const signal = opts.signal ? AbortSignal.any([opts.signal, exited.signal]) : exited.signal;
    try {
      await pipeline(source.open(), hash, inflater(), scan, run.stdin!, { signal });
    } catch (err) {
      if (opts.signal?.aborted) {
        run.destroy();
        throw new CancelledError();
      }
      if (exited.signal.aborted || isBrokenPipe(err)) {
        await output.catch(() => undefined);
        const exitCode = await run.exitCode().catch(() => -1);
        throw loadFailed(exitCode, run.stderr.text());
      }
      run.destroy();
      await output.catch(() => undefined);
      throw gzipProblem(err, file);
    }
    await output;
    const exitCode = await run.exitCode();
    if (opts.signal?.aborted) throw new CancelledError();
    if (exitCode !== 0) throw loadFailed(exitCode, run.stderr.text());
    return { facts: scan.facts, fileSha256: hash.digest(), serverCounts: countsFromTags(scan.facts.copies, tags.counts) };
  } finally {
    clearInterval(reportTimer);
    opts.signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * CREATE DATABASE from template0 (objects a cluster added to template1 would collide with the
 * dump's own), issued from `postgres` in one round trip; `template1` only when a cluster has no
 * `postgres` database. Resolves to where it was issued from, for dropping and cancelling.
 */
export async function createScratchDatabase(target: LoadTarget): Promise<PsqlTarget> {
  const create = (database: string) => psql({ container: target.container, user: target.user, database }, 'CREATE DATABASE :"db" TEMPLATE template0;', { db: target.database });
  try {
    await create('postgres');
    return { container: target.container, user: target.user, database: 'postgres' };
  } catch (err) {
    if (!/database "postgres" does not exist/.test(String((err as Error).message) + String((err as LifeboatError).detail ?? ''))) throw err;
    await create('template1');
    return { container: target.container, user: target.user, database: 'template1' };
  }
}

function isBrokenPipe(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException)?.code;
  return code === 'EPIPE' || code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE';
}

async function terminate(admin: PsqlTarget, appName: string): Promise<void> {
  await psql(admin, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = :'app';", { app: appName }).catch(() => undefined);
}

function loadFailed(exitCode: number, stderr: string): LifeboatError {
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  const first = lines.find((l) => /ERROR|FATAL|invalid command/.test(l)) ?? lines[0] ?? 'no error output';
  let hint = "The live database was not touched. See the Lifeboat log for psql's output.";
  const role = stderr.match(/role "([^"]+)" does not exist/);
  if (role) {
    hint = `The dump needs the role "${role[1]}", which this server lacks. Create it (CREATE ROLE "${role[1]}") and retry; the live database was not touched.`;
  } else if (/invalid command \\(un)?restrict/.test(stderr)) {
    hint = "The dump was made by a newer pg_dump than this server's psql understands. The live database was not touched.";
  }
  return new LifeboatError(`The backup does not restore cleanly (psql exit code ${exitCode}): ${first}`, hint, stderr);
}

/** Drops a database Lifeboat created, ending its sessions first. */
export async function dropDatabase(target: PsqlTarget, name: string): Promise<void> {
  const admin = { ...target, database: await maintenanceDatabase(target) };
  await psql(
    admin,
    `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :'db' AND pid <> pg_backend_pid();
     DROP DATABASE IF EXISTS :"db";`,
    { db: name },
  );
}
