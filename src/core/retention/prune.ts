import { promises as fs } from 'node:fs';
import { basename, relative, resolve, isAbsolute } from 'node:path';
import { listBackups, acquireLock, manifestName, parseBackupName } from '../store';
import { LifeboatError, fsError, throwIfAborted, Logger, silentLogger } from '../common';
import { RetentionPlan, RetentionPolicies, planRetention } from './retention';

export interface PruneOptions {
  /** Delete only these paths, when the fresh plan agrees (what a preview showed and the user accepted). */
  only?: ReadonlySet<string>;
  /**
   * The stack whose lock to hold (contract 11 in docs/contracts.md); a restore reading a backup
   * must not see it vanish.
   */
  lockName?: string;
  now?: Date;
  signal?: AbortSignal;
  logger?: Logger;
}

export interface PruneResult {
  plan: RetentionPlan;
  removed: { path: string; bytes: number }[];
  freedBytes: number;
  failures: { path: string; message: string }[];
}

/**
 * Deletes what retention says may go, from a plan made afresh under the lock: a backup that
 * arrived or was verified since a preview can only make it keep more. Each deletion is checked
 * again (inside the folder, a Lifeboat name, a regular file) and takes its manifest with it.
 */
export async function pruneBackups(backupDir: string, policies: RetentionPolicies, opts: PruneOptions = {}): Promise<PruneResult> {
  const log = opts.logger ?? silentLogger;
  const lock = opts.lockName ? await acquireLock(backupDir, opts.lockName, 'cleanup') : undefined;
  try {
    const plan = planRetention(await listBackups(backupDir), policies, opts.now ?? new Date());
    assertPlanKeepsEnough(plan);
    const result: PruneResult = { plan, removed: [], freedBytes: 0, failures: [] };
    const doomed = plan.remove
      .filter((e) => !opts.only || opts.only.has(e.path))
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
    for (const entry of doomed) {
      throwIfAborted(opts.signal);
      try {
        await removeBackupFile(backupDir, entry.path);
        result.removed.push({ path: entry.path, bytes: entry.bytes });
        result.freedBytes += entry.bytes;
        log.info(`Cleanup: deleted ${entry.path}`);
      } catch (err) {
        const message = (err as Error).message;
        result.failures.push({ path: entry.path, message });
        log.warn(`Cleanup: could not delete ${entry.path}: ${message}`);
      }
    }
    return result;
  } finally {
    await lock?.release();
  }
}

/**
 * Contract 6 in docs/contracts.md again, on the plan itself: a bug in a rule must not become a
 * deleted last backup.
 */
export function assertPlanKeepsEnough(plan: RetentionPlan): void {
  for (const s of plan.series) {
    const kept = s.decisions.filter((d) => d.keep);
    const newestVerified = s.decisions
      .map((d) => d.entry)
      .filter((e) => e.state === 'verified')
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())[0];
    const what = `${s.kind}${s.subject ? ` (${s.subject})` : ''}`;
    if (s.decisions.length && kept.length === 0) {
      throw new LifeboatError(
        `Cleanup refused: it would delete every ${what} backup.`,
        'Nothing was deleted. Check the lifeboat.retention settings.',
      );
    }
    if (newestVerified && !kept.some((d) => d.entry === newestVerified)) {
      throw new LifeboatError(
        `Cleanup refused: it would delete the newest verified ${what} backup.`,
        'Nothing was deleted. Check the lifeboat.retention settings.',
      );
    }
  }
}

async function removeBackupFile(backupDir: string, path: string): Promise<void> {
  const rel = relative(resolve(backupDir), resolve(path));
  if (rel.startsWith('..') || isAbsolute(rel) || !parseBackupName(basename(path))) {
    throw new LifeboatError(`${path} is not a Lifeboat backup in ${backupDir}; it was left alone.`);
  }
  const st = await fs.lstat(path).catch(() => undefined);
  if (!st) return; // Already gone: someone else cleaned up.
  if (!st.isFile()) throw new LifeboatError(`${path} is not a regular file; it was left alone.`);
  try {
    await fs.unlink(path);
    await fs.rm(manifestName(path), { force: true });
  } catch (err) {
    throw fsError(err, 'delete', path);
  }
}

/** Retention for one kind only, the others kept whole: what a scheduled run of that kind cleans up after itself. */
export function pruneKind(
  backupDir: string,
  policies: RetentionPolicies,
  kind: keyof RetentionPolicies,
  opts: PruneOptions = {},
): Promise<PruneResult> {
  const only: RetentionPolicies = { database: {}, config: {}, volume: {}, [kind]: policies[kind] };
  return pruneBackups(backupDir, only, opts);
}
