import type Docker from 'dockerode';
import {
  MigrationResult,
  detectAlembic,
  runMigration,
  startContainers,
  startInterruptedStops,
  stopContainers,
  HealthResult,
  HealthSpec,
  waitForHealthy,
} from '../stack';
import type { Stack } from '../stack';
import { BackupSource, KeyProvider, openBackupSource } from '../encryption';
import { customDumpFacts, isCustomHead, loadCustomDumpIntoNewDatabase } from './customDump';
import { DumpCheck, DumpHead, checkServerVersion, peekDump, validateDump } from './dumpCheck';
import { readManifest, recordVerification, acquireLock, stoppedRecord } from '../store';
import type { StoppedNote } from '../store';
import { CryptoError } from '../crypto';
import {
  CancelledError,
  DamagedBackupError,
  LifeboatError,
  throwIfAborted,
  Logger,
  OperationOptions,
  WithDefaults,
  withDefaults,
  formatCount,
} from '../common';
import { PsqlTarget, estimatedRowCounts, psql, serverVersion, tableRowCounts, OtherSession, otherSessions } from '../postgres';
import { createScratchDatabase, dropDatabase, loadDumpIntoNewDatabase } from './scratchRestore';
import { sideName, swapDatabases } from './databaseSwap';

export interface DryRunSummary {
  file: string;
  live: string;
  scratch: string;
  tables: Record<string, number>;
  /** Estimated from statistics: for telling the user what is replaced, not for proof. */
  liveTables: Record<string, number>;
  check: DumpCheck;
  /** Migrations will run when the backup's Alembic head differs from the live one. */
  backupAlembicHead?: string[];
  liveAlembicHead?: string[];
  /** How the dry run reached the server: a direct connection, or psql in the container. */
  loadedVia?: string;
  /** Clients of the live database the swap will disconnect; undefined when they could not be read. */
  otherSessions?: OtherSession[];
}

export interface RestoreOptions extends OperationOptions {
  file: string;
  backupDir: string;
  /** Asked after the dry run; only `true` lets the live database be replaced. */
  confirm: (summary: DryRunSummary) => Promise<boolean>;
  /** App containers to stop while swapping; default: the project's other containers. */
  appServices?: string[];
  /** argv to run in an app container after the swap; 'auto' runs `alembic upgrade head` where Alembic is found. */
  migration?: string[] | 'auto' | 'none';
  health?: HealthSpec;
  now?: () => Date;
  /** The key of an encrypted backup: its plaintext streams into the dry run, never onto the disk. */
  keys?: KeyProvider;
  /** How the dry run reaches the server (see LoadTarget); tests pin `exec` to cover psql's path. */
  transport?: 'direct' | 'exec';
}

export type RestoreResult =
  | { status: 'declined'; summary: DryRunSummary }
  | { status: 'restored'; summary: DryRunSummary; preRestore: string; migration?: MigrationResult; health?: HealthResult };

/**
 * The runbook's Scenario 1 without its risk (contract 2 in docs/contracts.md): check the file,
 * restore it into a scratch database in one transaction, compare row counts, ask, then swap names
 * so the old database stays as `<db>_pre_restore_<time>`. If the migration or the health check
 * fails, the swap is undone by itself and the restored copy kept as `<db>_failed_restore_<time>`.
 * App containers stopped here are started again whatever happens (contract 5 in docs/contracts.md).
 */
export async function restoreDatabase(docker: Docker, stack: Stack, options: RestoreOptions): Promise<RestoreResult> {
  const opts = withDefaults(options);
  opts.progress({ phase: 'Checking the backup' });
  const source = await openBackupSource(opts.file, { keys: opts.keys, signal: opts.signal });
  try {
    return await restoreFrom(docker, stack, source, opts);
  } catch (err) {
    await recordRefusal(opts.file, err, opts.logger, opts.now?.() ?? new Date());
    throw err;
  } finally {
    source.close();
  }
}

/**
 * A restore refused because the backup is damaged is a failed verification: recorded in its
 * manifest, so the Backups view stops showing it as verified and pickers offer it last.
 */
async function recordRefusal(file: string, err: unknown, log: Logger, at: Date): Promise<void> {
  const damaged =
    err instanceof DamagedBackupError || (err instanceof CryptoError && (err.code === 'tampered' || err.code === 'truncated'));
  if (!damaged) return;
  const { manifest } = await readManifest(file);
  if (!manifest) return; // Nothing claims it is good; the error says what is wrong.
  try {
    await recordVerification(file, manifest, {
      at: at.toISOString(),
      depth: 'full',
      ok: false,
      detail: `restore refused: ${(err as Error).message}`,
    });
  } catch (e) {
    log.warn(`Could not record the failed check in the manifest of ${file}: ${(e as Error).message}`);
  }
}

async function restoreFrom(docker: Docker, stack: Stack, source: BackupSource, opts: WithDefaults<RestoreOptions>): Promise<RestoreResult> {
  const { logger: log, progress } = opts;
  const now = opts.now ?? (() => new Date());
  const live = stack.db.database;
  const container = docker.getContainer(stack.db.id);
  const target: PsqlTarget = { container, user: stack.db.user, database: live };
  const custom = isCustomHead(source.head);
  const lock = await acquireLock(opts.backupDir, stack.project ?? stack.db.name, 'database restore');
  const scratch = sideName(live, '_restore', now());
  const into = { container, user: stack.db.user, database: scratch, transport: opts.transport };
  // Round trips that do not depend on each other overlap: the scratch database is made while
  // the file's head is read and the server's version asked, and what the modal says of the
  // live database is read while the copy loads.
  const created = custom ? undefined : createScratchDatabase(into);
  created?.catch(() => undefined);
  const liveInfo = Promise.all([estimatedRowCounts(target).catch(() => ({})), alembicHead(target)]);
  liveInfo.catch(() => undefined);
  let scratchExists = !!created;
  try {
    await startInterruptedStops(docker, lock, opts.backupDir, log);
    const [head, server] = await Promise.all([
      custom ? customHead(container, stack, source, opts) : peekDump(source, { signal: opts.signal, progress }),
      serverVersion(target),
    ]);
    for (const note of head.notes) log.warn(`${opts.file}: ${note}`);
    checkServerVersion(head.facts, server);
    throwIfAborted(opts.signal);

    log.info(`Dry run: restoring ${opts.file}${source.encryption ? ` (decrypted on the fly, ${source.encryption})` : ''} into ${scratch}`);
    scratchExists = true;
    const loaded = custom
      ? { ...(await loadCustomDumpIntoNewDatabase(into, source, opts)), facts: head.facts }
      : await loadDumpIntoNewDatabase(into, source, opts, await created);
    if ('via' in loaded) log.info(`Dry run loaded through ${loaded.via}.`);
    validateDump(opts.file, loaded.facts, loaded.fileSha256, head.manifest);
    const check: DumpCheck = {
      path: opts.file,
      facts: loaded.facts,
      fileBytes: head.fileBytes,
      fileSha256: loaded.fileSha256,
      manifest: head.manifest,
      notes: head.notes,
    };
    progress({ phase: 'Comparing row counts' });
    const restored =
      ('serverCounts' in loaded && loaded.serverCounts) || (await tableRowCounts({ ...target, database: scratch }, opts.signal));
    const [liveTables, liveAlembicHead] = await liveInfo;
    // A custom archive carries no row counts of its own: its manifest's, when it has one, are the proof.
    compareCounts(custom ? (head.manifest?.tables ?? restored) : check.facts.tables, restored, check.manifest?.tables);
    const summary: DryRunSummary = {
      file: opts.file,
      live,
      scratch,
      tables: restored,
      liveTables,
      check,
      backupAlembicHead: check.facts.alembicHeads.length ? check.facts.alembicHeads : undefined,
      liveAlembicHead,
      loadedVia: 'via' in loaded ? loaded.via : 'pg_restore in the container',
      // Read last, so the list is as fresh as it can be when the user reads it.
      otherSessions: await otherSessions(target, [live]).catch((err) => {
        log.warn(`Could not list the other sessions of ${live}: ${(err as Error).message}`);
        return undefined;
      }),
    };
    throwIfAborted(opts.signal);

    if (!(await opts.confirm(summary))) {
      log.info('Restore declined; the live database was not touched.');
      return { status: 'declined', summary };
    }
    throwIfAborted(opts.signal);

    const result = await swapIn(docker, stack, target, scratch, summary, opts, log, stoppedRecord(lock, 'database restore'));
    scratchExists = false;
    return result;
  } finally {
    // A CREATE still running would outlive a DROP sent now.
    await created?.catch(() => undefined);
    if (scratchExists) {
      await dropDatabase(target, scratch).catch((err) => log.warn(`Could not drop ${scratch}: ${(err as Error).message}`));
    }
    await lock.release();
  }
}

async function swapIn(
  docker: Docker,
  stack: Stack,
  target: PsqlTarget,
  scratch: string,
  summary: DryRunSummary,
  opts: WithDefaults<RestoreOptions>,
  log: Logger,
  record: StoppedNote,
): Promise<RestoreResult> {
  const { progress } = opts;
  const now = opts.now ?? (() => new Date());
  const live = stack.db.database;
  const apps = opts.appServices ?? stack.apps.map((a) => a.name);
  const preRestore = sideName(live, '_pre_restore', now());
  let stopped: string[] = [];
  let swapped = false;
  try {
    progress({ phase: `Stopping ${apps.join(', ') || 'no app services'}` });
    stopped = await stopContainers(docker, apps, log, record.note);
    progress({ phase: `Swapping ${scratch} in for ${live}` });
    await swapDatabases(target, live, scratch, preRestore);
    swapped = true;
    log.info(`Swapped: ${live} is the restored copy; the previous one is ${preRestore}.`);

    progress({ phase: 'Starting the app' });
    await startContainers(docker, stopped, log);
    await record.clear();
    const migration = await migrate(docker, apps, opts, log);
    if (migration && migration.exitCode !== 0) {
      throw new LifeboatError(
        `The migration failed ("${migration.argv.join(' ')}" in "${migration.container}", exit code ${migration.exitCode}): ${lastLine(migration.output)}`,
      );
    }
    let health: HealthResult | undefined;
    if (opts.health) {
      progress({ phase: `Health check: ${opts.health.url}` });
      health = await waitForHealthy(opts.health, opts.signal);
    }
    return { status: 'restored', summary, preRestore, migration, health };
  } catch (err) {
    if (!swapped) throw err;
    // The restored database is in place but the app does not work with it: put the old one back.
    const failed = sideName(live, '_failed_restore', now());
    log.error(`${(err as Error).message} Swapping ${preRestore} back in; the restored copy stays as ${failed}.`);
    progress({ phase: 'Undoing the swap' });
    const restopped = await stopContainers(docker, apps, log, record.note);
    stopped = [...new Set([...stopped, ...restopped])];
    await swapDatabases(target, live, preRestore, failed);
    const reason = err instanceof CancelledError ? 'The restore was cancelled after the swap' : (err as Error).message;
    throw new LifeboatError(
      `${reason} The previous database is live again; the restored copy is kept as "${failed}" for inspection.`,
      err instanceof LifeboatError && err.hint ? err.hint : 'See the Lifeboat log.',
      undefined,
      { cause: err },
    );
  } finally {
    await startContainers(docker, stopped, log);
    await record.clear();
  }
}

async function migrate(docker: Docker, apps: string[], opts: RestoreOptions, log: Logger): Promise<MigrationResult | undefined> {
  if (opts.migration === 'none' || apps.length === 0) return undefined;
  if (Array.isArray(opts.migration)) return runMigration(docker, apps[0], opts.migration, log);
  const withAlembic = await detectAlembic(docker, apps);
  if (!withAlembic) return undefined;
  return runMigration(docker, withAlembic, ['alembic', 'upgrade', 'head'], log);
}

/** The head of a `pg_dump -Fc` archive, read by the server's pg_restore. */
async function customHead(container: Docker.Container, stack: Stack, source: BackupSource, opts: RestoreOptions): Promise<DumpHead> {
  const { manifest, problem } = await readManifest(opts.file);
  const notes = problem ? [problem] : [];
  if (!manifest) notes.push('custom-format archive without a manifest: no row counts to compare the restored copy with');
  const facts = await customDumpFacts({ container, user: stack.db.user, database: stack.db.database }, source, opts);
  return { facts, fileBytes: source.fileBytes, manifest, notes };
}

async function alembicHead(target: PsqlTarget): Promise<string[] | undefined> {
  try {
    const out = await psql(target, 'SELECT version_num FROM alembic_version;');
    return out ? out.split('\n') : undefined;
  } catch {
    return undefined;
  }
}

/** The restored copy must hold exactly the rows the dump carried (and its manifest recorded). */
function compareCounts(inDump: Record<string, number>, restored: Record<string, number>, inManifest?: Record<string, number>): void {
  const diffs: string[] = [];
  for (const [table, n] of Object.entries(inDump)) {
    if (restored[table] !== n)
      diffs.push(
        `${table}: ${formatCount(n)} in the dump, ${restored[table] === undefined ? 'missing' : formatCount(restored[table])} restored`,
      );
  }
  if (inManifest) {
    for (const [table, n] of Object.entries(inManifest)) {
      if (inDump[table] !== n)
        diffs.push(
          `${table}: ${formatCount(n)} recorded at backup time, ${inDump[table] === undefined ? 'missing' : formatCount(inDump[table])} in the file`,
        );
    }
  }
  if (diffs.length) {
    throw new LifeboatError(
      `The restored copy does not match the backup: ${diffs.slice(0, 5).join('; ')}${diffs.length > 5 ? ` (and ${diffs.length - 5} more)` : ''}.`,
      'The live database was not touched. Use another backup.',
    );
  }
}

function lastLine(text: string): string {
  return text.trim().split('\n').filter(Boolean).at(-1) ?? 'no output';
}

export interface UndoOptions extends OperationOptions {
  backupDir: string;
  appServices?: string[];
  health?: HealthSpec;
  now?: () => Date;
}

/**
 * "Swap Back": the pre-restore copy becomes live again, and what was live is kept under a
 * pre-restore name of its own, so an undo can itself be undone. App containers are stopped
 * around the swap and started again whatever happens.
 */
export async function undoRestore(
  docker: Docker,
  stack: Stack,
  preRestore: string,
  options: UndoOptions,
): Promise<{ aside: string; health?: HealthResult }> {
  const opts = withDefaults(options);
  const { logger: log, progress } = opts;
  const live = stack.db.database;
  const target: PsqlTarget = { container: docker.getContainer(stack.db.id), user: stack.db.user, database: live };
  const lock = await acquireLock(opts.backupDir, stack.project ?? stack.db.name, 'swap back');
  const apps = opts.appServices ?? stack.apps.map((a) => a.name);
  const record = stoppedRecord(lock, 'swap back');
  let stopped: string[] = [];
  try {
    await startInterruptedStops(docker, lock, opts.backupDir, log);
    const aside = sideName(live, '_pre_restore', (opts.now ?? (() => new Date()))());
    progress({ phase: `Stopping ${apps.join(', ') || 'no app services'}` });
    stopped = await stopContainers(docker, apps, log, record.note);
    progress({ phase: `Swapping ${preRestore} back in` });
    await swapDatabases(target, live, preRestore, aside);
    log.info(`Swapped back: ${preRestore} is live as ${live}; the database it replaced is ${aside}.`);
    await startContainers(docker, stopped, log);
    stopped = [];
    const health = opts.health ? await waitForHealthy(opts.health, opts.signal) : undefined;
    return { aside, health };
  } finally {
    await startContainers(docker, stopped, log).then(record.clear, (err) => log.error((err as Error).message));
    await lock.release();
  }
}
