import type Docker from 'dockerode';
import { randomBytes } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import type { BackupSource } from '../encryption';
import {
  countsFromTags,
  CopyTagCollector,
  connectDirect,
  PgConnectionLost,
  PgServerError,
  IncompleteScriptError,
  UnsupportedScriptError,
  WireScriptSink,
  PsqlTarget,
  maintenanceDatabase,
  psql,
} from '../postgres';
import { gzipProblem } from './dumpCheck';
import { DumpFacts, DumpScanStream } from './dumpScanner';
import { HashStream, inflater } from '../streams';
import { CancelledError, LifeboatError, OperationOptions, WithDefaults, withDefaults } from '../common';
import { RunningExec, startExec } from '../docker';

export interface LoadTarget {
  container: Docker.Container;
  user: string;
  database: string;
  /**
   * `direct` (the default) loads over a protocol connection of Lifeboat's own when the server
   * can be reached and logged in to, else through psql in the container; `exec` always uses psql.
   */
  transport?: 'direct' | 'exec';
}

/**
 * Creates `database` and loads a `.sql.gz` into it, stopping at the first error inside one
 * transaction: a dump that fails half way leaves nothing behind, and no SQL error can be
 * reported as success, which the runbook's plain `gunzip -c | psql` does.
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
  /** How the SQL reached the server: `psql` in the container, or a direct connection to `host:port`. */
  via: string;
}

export async function loadDumpIntoNewDatabase(
  target: LoadTarget,
  source: BackupSource,
  options: OperationOptions = {},
  /** Where the database was already made (createScratchDatabase ran ahead, overlapping other work). */
  created?: PsqlTarget,
): Promise<LoadResult> {
  const opts = withDefaults(options);
  const admin = created ?? (await createScratchDatabase(target));
  const log = opts.logger;
  const appName = `lifeboat_${randomBytes(6).toString('hex')}`;
  if (target.transport !== 'exec') {
    const direct = await connectDirect({
      container: target.container,
      user: target.user,
      database: target.database,
      applicationName: appName,
    });
    if (direct.conn) {
      try {
        return await loadThrough(
          new WireScriptSink(direct.conn),
          `a direct connection to ${direct.via}`,
          target,
          source,
          opts,
          admin,
          appName,
        );
      } catch (err) {
        // Only what psql alone understands goes back to psql; the direct session rolled it all back.
        if (!(err instanceof UnsupportedScriptError)) throw err;
        log.info(`Loading through psql in the container instead: ${err.message}.`);
        await new Promise<void>((resolve) => direct.conn.whenClosed(() => resolve()));
      }
    } else {
      log.info(`Loading through psql in the container: no direct connection (${direct.reason}).`);
    }
  }
  const run = await startExec(
    target.container,
    {
      // Not quiet: the `COPY n` tags on stdout are the server's own row counts.
      argv: [
        'psql',
        '--no-password',
        '-X',
        '-v',
        'ON_ERROR_STOP=1',
        '--single-transaction',
        '-U',
        target.user,
        '-d',
        target.database,
        '-f',
        '-',
      ],
      env: [`PGAPPNAME=${appName}`],
    },
    { stdin: true },
  );
  return loadThrough(run, 'psql in the container', target, source, opts, admin, appName);
}

async function loadThrough(
  sink: WireScriptSink | RunningExec,
  via: string,
  target: LoadTarget,
  source: BackupSource,
  opts: WithDefaults<OperationOptions>,
  admin: PsqlTarget,
  appName: string,
): Promise<LoadResult> {
  const { path: file, fileBytes } = source;
  const { progress } = opts;
  let read = 0;
  // The file is hashed and its SQL scanned on the way in: one read proves and loads it.
  const hash = new HashStream((n) => (read = n));
  const scan = new DumpScanStream();
  const report = () => progress({ phase: `Dry run: restoring into ${target.database}`, bytes: read, total: fileBytes });
  // Said at once too: a small dump can be loaded before the first tick.
  report();
  const reportTimer = setInterval(report, 250);
  const onAbort = () => void terminate(admin, appName);
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    if (sink instanceof WireScriptSink) {
      try {
        await pipeline(source.open(), hash, inflater(), scan, sink, opts.signal ? { signal: opts.signal } : {});
      } catch (err) {
        if (opts.signal?.aborted) throw new CancelledError();
        if (err instanceof PgServerError) throw loadFailed(`server error ${err.code ?? ''}`.trim(), serverText(err));
        if (err instanceof PgConnectionLost)
          throw new LifeboatError(
            `The dry run stopped: ${err.message}.`,
            'Check that the database container is running, then retry. The live database was not touched.',
            undefined,
            { cause: err },
          );
        if (err instanceof UnsupportedScriptError) throw err;
        if (err instanceof IncompleteScriptError) {
          throw new LifeboatError(
            `${file} is an incomplete dump: ${err.message}.`,
            "pg_dump did not finish writing it (the runbook's `pg_dump | gzip` keeps such files). Use another backup; the live database was not touched.",
            undefined,
            { cause: err },
          );
        }
        throw gzipProblem(err, file);
      }
      return { facts: scan.facts, fileSha256: hash.digest(), serverCounts: countsFromTags(scan.facts.copies, sink.copyCounts), via };
    }
    const run = sink;
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
        throw loadFailed(`psql exit code ${exitCode}`, run.stderr.text());
      }
      run.destroy();
      await output.catch(() => undefined);
      throw gzipProblem(err, file);
    }
    await output;
    const exitCode = await run.exitCode();
    if (opts.signal?.aborted) throw new CancelledError();
    if (exitCode !== 0) throw loadFailed(`psql exit code ${exitCode}`, run.stderr.text());
    return { facts: scan.facts, fileSha256: hash.digest(), serverCounts: countsFromTags(scan.facts.copies, tags.counts), via };
  } finally {
    clearInterval(reportTimer);
    opts.signal?.removeEventListener('abort', onAbort);
  }
}

/** The server's error as psql would print it, for the log and for the hints below. */
function serverText(err: PgServerError): string {
  const f = err.fields;
  return [
    err.message,
    f.D ? `DETAIL:  ${f.D}` : '',
    f.H ? `HINT:  ${f.H}` : '',
    f.W ? `CONTEXT:  ${f.W}` : '',
    err.context ? `AT:  ${err.context}` : '',
  ]
    .filter(Boolean)
    .join('\n');
}

/**
 * CREATE DATABASE from template0 (objects a cluster added to template1 would collide with the
 * dump's own), issued from `postgres` in one round trip; `template1` only when a cluster has no
 * `postgres` database. Resolves to where it was issued from, for dropping and cancelling.
 */
export async function createScratchDatabase(target: LoadTarget): Promise<PsqlTarget> {
  const create = (database: string) =>
    psql({ container: target.container, user: target.user, database }, 'CREATE DATABASE :"db" TEMPLATE template0;', {
      db: target.database,
    });
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
  await psql(admin, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = :'app';", { app: appName }).catch(
    () => undefined,
  );
}

function loadFailed(how: string, stderr: string): LifeboatError {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const first = lines.find((l) => /ERROR|FATAL|invalid command/.test(l)) ?? lines[0] ?? 'no error output';
  let hint = "The live database was not touched. See the Lifeboat log for psql's output.";
  const role = stderr.match(/role "([^"]+)" does not exist/);
  if (role) {
    hint = `The dump needs the role "${role[1]}", which this server lacks. Create it (CREATE ROLE "${role[1]}") and retry; the live database was not touched.`;
  } else if (/invalid command \\(un)?restrict/.test(stderr)) {
    hint = "The dump was made by a newer pg_dump than this server's psql understands. The live database was not touched.";
  }
  return new LifeboatError(`The backup does not restore cleanly (${how}): ${first}`, hint, stderr);
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
