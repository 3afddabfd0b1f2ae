import { basename } from 'node:path';
import { LifeboatError, isCancelled, Logger, silentLogger } from '../common';
import type { BackupKind } from '../store';
import type { JobOutcome, ScheduledJob } from './scheduler';
import type { VerifyDepth, VerifyResult } from '../verify';

export interface ScheduledJobParts {
  /** Makes the backups of one kind (a volume run makes one per volume); resolves to their paths. */
  backup(kind: BackupKind): Promise<string[]>;
  verify(path: string, depth: VerifyDepth): Promise<VerifyResult>;
  /**
   * Retention after a good run. Called only when every backup of the run was made AND
   * verified: a run that failed must never thin out the backups that still work.
   */
  prune?: (kind: BackupKind) => Promise<void>;
  /**
   * A step for each new backup once it verified, before any pruning: the extension encrypts
   * it here when `lifeboat.encryption.encryptNewBackups` is on. A failure fails the run.
   */
  afterVerify?: (path: string) => Promise<void>;
  /** `lifeboat.verify.onCreate`; a scheduled run verifies at least quickly, since pruning depends on it. */
  depth: VerifyDepth | 'off';
  logger?: Logger;
}

/** A scheduled run: back up, verify each new file, then (only if all is well) prune. */
export function scheduledJob(parts: ScheduledJobParts): ScheduledJob {
  const log = parts.logger ?? silentLogger;
  const depth: VerifyDepth = parts.depth === 'full' ? 'full' : 'quick';
  return async (kind) => {
    // A failed backup throws; the scheduler records it as failed, with no pruning.
    const paths = await parts.backup(kind);
    if (paths.length === 0) return { ok: false, summary: 'nothing backed up', problem: `The scheduled ${kind} run made no backup.` };
    const names = paths.map((p) => basename(p));
    for (const path of paths) {
      const result = await parts.verify(path, depth);
      if (!result.ok) {
        log.error(`Scheduled ${kind} backup ${basename(path)} FAILED verification: ${result.problem}`);
        return {
          ok: false,
          summary: `${names.join(', ')}: verification failed`,
          files: paths,
          problem: `The new backup ${basename(path)} failed verification (${depth}): ${result.problem}. Nothing was cleaned up.`,
        };
      }
    }
    const summary = `${names.join(', ')}, verified (${depth})`;
    if (parts.afterVerify) {
      for (const path of paths) {
        try {
          await parts.afterVerify(path);
        } catch (err) {
          if (isCancelled(err)) throw err;
          const e = err as LifeboatError;
          return {
            ok: false,
            summary: `${summary}; then failed`,
            files: paths,
            problem: `${[e.message, e.hint].filter(Boolean).join(' ')} Nothing was cleaned up.`,
          };
        }
      }
    }
    if (!parts.prune) return { ok: true, summary, files: paths };
    try {
      await parts.prune(kind);
    } catch (err) {
      if (isCancelled(err)) throw err;
      const e = err as LifeboatError;
      return {
        ok: false,
        summary: `${summary}; cleanup failed`,
        files: paths,
        problem: `The backup is made and verified, but the cleanup failed: ${[e.message, e.hint].filter(Boolean).join(' ')}`,
      };
    }
    return { ok: true, summary: `${summary}, cleaned up`, files: paths };
  };
}

export type { JobOutcome };
