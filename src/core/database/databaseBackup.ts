import type Docker from 'dockerode';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import {
  AtomicFile,
  freeName,
  partialStream,
  ensurePrivateDir,
  acquireLock,
  WRITER_OPERATION,
  sweepStalePartials,
  Manifest,
  KIND_FOLDERS,
  backupPrefix,
  databaseBackupName,
  assertRoomForBackup,
} from '../store';
import { isEngineDown, toEngineError, RunningExec, runExec, startExec } from '../docker';
import { DumpFacts, DumpScanStream } from './dumpScanner';
import {
  CancelledError,
  ContainerNotRunningError,
  LifeboatError,
  fsError,
  isFsError,
  throwIfAborted,
  Logger,
  OperationOptions,
  WithDefaults,
  withDefaults,
  toolVersion,
  formatBytesExact,
  formatCountOf,
} from '../common';
import { HashStream, ParallelGzip } from '../streams';
import { NoStackError, type Stack } from '../stack';

export interface DatabaseBackupOptions extends OperationOptions {
  /** The backup folder; the dump goes to its `database/` subfolder. */
  backupDir: string;
  /** File name prefix; defaults to the Compose project name. */
  prefix?: string;
  level?: number;
  now?: () => Date;
}

export interface BackupResult {
  path: string;
  manifest: Manifest;
}

/**
 * pg_dump inside the database container, streamed through gzip to
 * `database/<prefix>_backup_YYYYMMDD_HHMMSS.sql.gz`. The file gets its final name only after
 * pg_dump's own exit code is 0, its end marker arrived, and the data is on disk (contract 1 in
 * docs/contracts.md). Anything else removes the partial file and leaves older backups alone.
 */
export async function backupDatabase(docker: Docker, stack: Stack, options: DatabaseBackupOptions): Promise<BackupResult> {
  const opts = withDefaults(options);
  const { logger: log, progress } = opts;
  const started = Date.now();
  throwIfAborted(opts.signal);

  const container = docker.getContainer(stack.db.id);
  const info = await inspectDatabase(container, stack);

  const dir = join(opts.backupDir, KIND_FOLDERS.database);
  await ensurePrivateDir(opts.backupDir);
  await ensurePrivateDir(dir);
  const prefix = backupPrefix(opts.prefix || stack.project || stack.db.name);
  await assertRoomForBackup(opts.backupDir, 'database', prefix);
  const lock = await acquireLock(opts.backupDir, stack.project ?? stack.db.name, WRITER_OPERATION.database);
  let file: AtomicFile | undefined;
  try {
    await sweepStalePartials({ backupDir: opts.backupDir, dir, kind: 'database', subject: prefix, ownLock: lock.path, logger: log });
    const namePrefix = opts.prefix || stack.project || stack.db.name;
    const name = await freeName(dir, (t) => databaseBackupName(namePrefix, t), opts.now ?? (() => new Date()), 'backups');
    const finalPath = join(dir, name);
    file = new AtomicFile(finalPath);
    progress({ phase: `Dumping ${stack.db.database}`, bytes: 0 });
    log.info(`Backing up database ${stack.db.database} from ${stack.db.name} to ${finalPath}`);

    const dumped = await dumpToFile(container, stack, file.partial, opts);
    await file.commit();

    const manifest: Manifest = {
      formatVersion: 1,
      kind: 'database',
      createdAt: new Date(started).toISOString(),
      tool: { name: 'lifeboat', version: toolVersion },
      source: {
        project: stack.project,
        container: stack.db.name,
        image: info.Config?.Image,
        database: stack.db.database,
        serverVersion: dumped.facts.serverVersion,
        pgDumpVersion: dumped.facts.dumpVersion,
      },
      compression: { format: 'gzip', level: opts.level ?? 6 },
      file: { name, bytes: dumped.fileBytes, sha256: dumped.fileSha256 },
      content: { bytes: dumped.facts.bytes },
      tables: dumped.facts.tables,
      alembicHead: dumped.facts.alembicHeads.length ? dumped.facts.alembicHeads : undefined,
      durationMs: Date.now() - started,
      verifications: [],
    };
    await file.writeManifest(manifest, (err) => log.warn(`Backup kept, but its manifest could not be written: ${(err as Error).message}`));
    log.info(
      `Backup complete: ${name} (${formatBytesExact(dumped.fileBytes)}, ${formatCountOf(Object.keys(dumped.facts.tables).length, 'table')})`,
    );
    return { path: finalPath, manifest };
  } catch (err) {
    throw engineGone(err) ? toEngineError(err) : err;
  } finally {
    await file?.discard();
    await lock.release();
  }
}

/**
 * The engine went away mid-backup (stopped or restarted): the next call fails on its socket
 * (`connect ENOENT`, ECONNREFUSED), which users should read as the engine being gone, named.
 * A file system ENOENT is not that.
 */
function engineGone(err: unknown): boolean {
  const e = err as NodeJS.ErrnoException;
  return isEngineDown(err) && (e?.code !== 'ENOENT' || e.syscall === 'connect');
}

async function inspectDatabase(container: Docker.Container, stack: Stack): Promise<Docker.ContainerInspectInfo> {
  let info: Docker.ContainerInspectInfo;
  try {
    info = await container.inspect();
  } catch (err) {
    if (!isEngineDown(err) && (err as { statusCode?: number }).statusCode === 404) {
      throw new NoStackError(
        `The database container "${stack.db.name}" no longer exists.`,
        'Start the stack with `docker compose up -d`.',
        {
          ui: 'refresh-backups',
        },
      );
    }
    throw toEngineError(err);
  }
  if (!info.State?.Running || info.State.Paused || info.State.Restarting) {
    const state = info.State?.Paused ? 'paused' : info.State?.Restarting ? 'restarting' : (info.State?.Status ?? 'unknown state');
    throw new ContainerNotRunningError(
      `The database container "${stack.db.name}" is not running (${state}), so there is nothing to back up from.`,
      `Start the stack with \`docker compose up -d\` in its folder${stack.db.service ? ` (or only the database: \`docker compose start ${stack.db.service}\`)` : ''}, then retry.`,
    );
  }
  return info;
}

interface Dumped {
  facts: DumpFacts;
  fileBytes: number;
  fileSha256: string;
}

async function dumpToFile(
  container: Docker.Container,
  stack: Stack,
  partial: string,
  opts: WithDefaults<DatabaseBackupOptions>,
): Promise<Dumped> {
  const { logger: log, progress } = opts;
  // A unique application name lets a cancel find and end exactly this pg_dump's session.
  const appName = `lifeboat_${randomBytes(6).toString('hex')}`;
  let run: RunningExec;
  try {
    run = await startExec(container, {
      argv: ['pg_dump', '--no-password', '-U', stack.db.user, '-d', stack.db.database],
      env: [`PGAPPNAME=${appName}`],
    });
  } catch (err) {
    throw toEngineError(err);
  }

  const label = `Dumping ${stack.db.database}`;
  const scan = new DumpScanStream((bytes) => progress({ phase: label, bytes }));
  const gzip = new ParallelGzip({ level: opts.level ?? 6 });
  const hash = new HashStream();
  const out = partialStream(partial);

  const ac = new AbortController();
  const onAbort = () => {
    ac.abort();
    void stopDump(container, stack, appName);
  };
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await pipeline(run.stdout, scan, gzip, hash, out, { signal: ac.signal });
  } catch (err) {
    if (opts.signal?.aborted) {
      await waitGone(run, log);
      throw new CancelledError();
    }
    run.destroy();
    throw await explainFailure(err, container, stack, run, partial, log);
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }

  const exitCode = await run.exitCode();
  const stderr = run.stderr.text();
  if (stderr) log.tool('pg_dump', stderr);
  if (exitCode !== 0) throw await pgDumpFailed(exitCode, stderr, container, stack);
  const facts = scan.facts;
  if (!facts.complete) {
    throw new LifeboatError(
      'pg_dump exited without writing its end marker: the dump is incomplete and was not kept.',
      "See the log for pg_dump's output, then retry.",
    );
  }
  return { facts, fileBytes: hash.bytes, fileSha256: hash.digest() };
}

/**
 * Ends pg_dump's server session. pg_dump then fails on its next read and exits, wherever it
 * is; closing our end of the exec stream alone does not stop a process inside a container.
 */
async function stopDump(container: Docker.Container, stack: Stack, appName: string): Promise<void> {
  try {
    await runExec(container, {
      argv: [
        'psql',
        '--no-password',
        '-X',
        '-At',
        '-U',
        stack.db.user,
        '-d',
        stack.db.database,
        '-c',
        // appName is our own hex token, never user input.
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '${appName}'`,
      ],
    });
  } catch {
    // The container may be gone already; then so is pg_dump.
  }
}

async function waitGone(run: RunningExec, log: Logger): Promise<void> {
  const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 5000).unref());
  const result = await Promise.race([run.exitCode().catch(() => -1), timeout]);
  if (result === 'timeout') log.warn('pg_dump was still running 5 s after the cancel.');
}

async function stillRunning(container: Docker.Container): Promise<boolean> {
  try {
    return !!(await container.inspect()).State?.Running;
  } catch {
    return false;
  }
}

/**
 * A pg_dump killed by a signal (exit 128+n) is often the first sign of its container being
 * killed: the engine reports the container as exited a moment after the exec ends, later still
 * on a busy machine. Asking again for a few seconds tells "the container stopped" from "only
 * pg_dump was killed".
 */
async function stillRunningAfterKill(container: Docker.Container, exitCode: number): Promise<boolean> {
  const deadline = exitCode > 128 ? Date.now() + 3000 : 0;
  for (;;) {
    if (!(await stillRunning(container))) return false;
    if (Date.now() >= deadline) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function explainFailure(
  err: unknown,
  container: Docker.Container,
  stack: Stack,
  run: RunningExec,
  partial: string,
  log: Logger,
): Promise<Error> {
  const stderr = run.stderr.text();
  if (stderr) log.tool('pg_dump', stderr);
  if (isEngineDown(err)) return toEngineError(err) as Error;
  if (isFsError(err)) return fsError(err, 'write the backup', dirname(partial));
  if (!(await stillRunning(container))) return containerStopped(stack);
  if (err instanceof LifeboatError) return err;
  return new LifeboatError(
    `The dump stream failed: ${(err as Error).message}`,
    "See the log for pg_dump's output, then retry.",
    undefined,
    { cause: err },
  );
}

function containerStopped(stack: Stack): LifeboatError {
  return new LifeboatError(
    `The database container "${stack.db.name}" stopped during the dump; the partial backup was removed.`,
    `Start it with \`docker compose start ${stack.db.service ?? stack.db.name}\` and retry. Older backups are untouched.`,
  );
}

async function pgDumpFailed(exitCode: number, stderr: string, container: Docker.Container, stack: Stack): Promise<Error> {
  if (!(await stillRunningAfterKill(container, exitCode))) return containerStopped(stack);
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const last = lines.find((l) => /error|fatal/i.test(l)) ?? lines.at(-1) ?? 'no error output';
  let hint = "See the Lifeboat log for pg_dump's full output.";
  if (/database ".*" does not exist/.test(stderr)) {
    hint = `Check the database name (setting lifeboat.database.name; empty means the container's POSTGRES_DB). Tried "${stack.db.database}".`;
  } else if (/role ".*" does not exist/.test(stderr)) {
    hint = `Check the database user (setting lifeboat.database.user; empty means the container's POSTGRES_USER). Tried "${stack.db.user}".`;
  } else if (/password authentication failed|no password supplied/.test(stderr)) {
    hint =
      'pg_dump runs inside the container over its local socket; the server must allow that user locally (trust or peer in pg_hba.conf).';
  } else if (/terminating connection|server closed the connection/.test(stderr)) {
    hint = "The server ended pg_dump's session (a restart or an administrator). Retry when the database is up.";
  }
  return new LifeboatError(`pg_dump failed (exit code ${exitCode}): ${last}`, hint, stderr);
}
