import type Docker from 'dockerode';
import { basename } from 'node:path';
import { archiveConfig } from './configArchive';
import { backupDatabase } from './databaseBackup';
import type { Stack } from './discovery';
import { LifeboatError, isCancelled } from './errors';
import { Logger, silentLogger } from './logger';
import type { BackupKind } from './naming';
import type { JobOutcome, ScheduledJob } from './scheduler';
import { VerifyDepth, VerifyResult, verifyBackup } from './verify';
import { snapshotVolume } from './volumeSnapshot';

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
          return { ok: false, summary: `${summary}; then failed`, files: paths, problem: `${[e.message, e.hint].filter(Boolean).join(' ')} Nothing was cleaned up.` };
        }
      }
    }
    if (!parts.prune) return { ok: true, summary, files: paths };
    try {
      await parts.prune(kind);
    } catch (err) {
      if (isCancelled(err)) throw err;
      const e = err as LifeboatError;
      return { ok: false, summary: `${summary}; cleanup failed`, files: paths, problem: `The backup is made and verified, but the cleanup failed: ${[e.message, e.hint].filter(Boolean).join(' ')}` };
    }
    return { ok: true, summary: `${summary}, cleaned up`, files: paths };
  };
}

export interface StackBackupOptions {
  docker: Docker;
  /** Found again for each run: containers come and go between 02:00s. */
  stack: () => Promise<Stack>;
  backupDir: string;
  workspace?: string;
  prefix?: string;
  level?: number;
  configPaths?: readonly string[];
  helperImage?: string;
  volumeStopMode?: 'stop' | 'live';
  logger?: Logger;
  signal?: AbortSignal;
}

/** The real backups of a stack for `ScheduledJobParts.backup`, with the same options as the commands. */
export function stackBackup(opts: StackBackupOptions): (kind: BackupKind) => Promise<string[]> {
  const common = { logger: opts.logger, signal: opts.signal, backupDir: opts.backupDir, level: opts.level };
  return async (kind) => {
    if (kind === 'config') {
      if (!opts.workspace) throw new LifeboatError('A config archive needs the workspace folder.', 'Open the folder of your Compose project.');
      const stack = await opts.stack().catch(() => undefined);
      const made = await archiveConfig({ ...common, workspace: opts.workspace, paths: opts.configPaths, project: stack?.project });
      return [made.path];
    }
    const stack = await opts.stack();
    if (kind === 'database') {
      return [(await backupDatabase(opts.docker, stack, { ...common, prefix: opts.prefix })).path];
    }
    if (stack.volumes.length === 0) throw new LifeboatError('The stack mounts no named volumes, so there is nothing to snapshot.', 'Clear the setting lifeboat.schedule.volume to stop scheduling volume snapshots.');
    const paths: string[] = [];
    for (const v of stack.volumes) {
      const made = await snapshotVolume(opts.docker, {
        ...common,
        volume: v.name,
        helperImage: opts.helperImage,
        stopContainers: opts.volumeStopMode === 'live' ? [] : 'auto',
      });
      paths.push(made.path);
    }
    return paths;
  };
}

/** `ScheduledJobParts.verify` with the real verification (a full one needs the stack). */
export function stackVerify(opts: Pick<StackBackupOptions, 'docker' | 'stack' | 'logger' | 'signal'>): (path: string, depth: VerifyDepth) => Promise<VerifyResult> {
  return async (path, depth) => {
    const stack = depth === 'full' ? await opts.stack() : undefined;
    return verifyBackup(path, { depth, docker: opts.docker, stack, logger: opts.logger, signal: opts.signal });
  };
}

export type { JobOutcome };
