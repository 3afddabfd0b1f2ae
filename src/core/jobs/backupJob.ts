import type Docker from 'dockerode';
import { archiveConfig } from '../config';
import { backupDatabase } from '../database';
import { Stack, discoverStack } from '../stack';
import { LifeboatError } from '../common';
import type { Logger } from '../common';
import type { BackupKind } from '../store';
import type { LifeboatSettings } from '../settings';
import { VerifyDepth, VerifyResult, verifyBackup } from '../verify';
import { snapshotVolume } from '../volume';

/*
 * Backups with no UI, the way the settings say: what a scheduled run and the command line do
 * (the extension's commands add prompts and progress around the same core functions).
 */

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
  /** Only these volumes (the command line's --volume); default: every volume the stack mounts. */
  volumes?: string[];
  /** Names a config archive's lock and manifest when the stack cannot be found (Docker down). */
  project?: () => Promise<string | undefined>;
  logger?: Logger;
  signal?: AbortSignal;
}

/** The real backups of a stack for `ScheduledJobParts.backup`, with the same options as the commands. */
export function stackBackup(opts: StackBackupOptions): (kind: BackupKind) => Promise<string[]> {
  const common = { logger: opts.logger, signal: opts.signal, backupDir: opts.backupDir, level: opts.level };
  return async (kind) => {
    if (kind === 'config') {
      if (!opts.workspace)
        throw new LifeboatError('A config archive needs the workspace folder.', 'Open the folder of your Compose project.');
      const stack = await opts.stack().catch(() => undefined);
      const made = await archiveConfig({
        ...common,
        workspace: opts.workspace,
        paths: opts.configPaths,
        project: stack?.project ?? (await opts.project?.()),
      });
      return [made.path];
    }
    const stack = await opts.stack();
    if (kind === 'database') {
      return [(await backupDatabase(opts.docker, stack, { ...common, prefix: opts.prefix })).path];
    }
    const volumes = opts.volumes?.length ? opts.volumes : stack.volumes.map((v) => v.name);
    if (volumes.length === 0)
      throw new LifeboatError(
        'The stack mounts no named volumes, so there is nothing to snapshot.',
        'Clear the setting lifeboat.schedule.volume to stop scheduling volume snapshots.',
      );
    const paths: string[] = [];
    for (const volume of volumes) {
      const made = await snapshotVolume(opts.docker, {
        ...common,
        volume,
        helperImage: opts.helperImage,
        stopContainers: opts.volumeStopMode === 'live' ? [] : 'auto',
      });
      paths.push(made.path);
    }
    return paths;
  };
}

/** `ScheduledJobParts.verify` with the real verification (a full one needs the stack). */
export function stackVerify(
  opts: Pick<StackBackupOptions, 'docker' | 'stack' | 'logger' | 'signal'>,
): (path: string, depth: VerifyDepth) => Promise<VerifyResult> {
  return async (path, depth) => {
    const stack = depth === 'full' ? await opts.stack() : undefined;
    return verifyBackup(path, { depth, docker: opts.docker, stack, logger: opts.logger, signal: opts.signal });
  };
}

/** The options of `stackBackup` from `lifeboat.*`, for a scheduled run or the command line. */
export function stackBackupOptions(
  settings: LifeboatSettings,
  docker: Docker,
  extra: Pick<StackBackupOptions, 'logger' | 'signal' | 'volumes'> = {},
): StackBackupOptions {
  return {
    docker,
    stack: () => discoverStack(docker, settings.discovery),
    backupDir: settings.backupDirectory,
    workspace: settings.folderPath,
    prefix: settings.backupPrefix || undefined,
    level: settings.compressionLevel,
    configPaths: settings.configPaths,
    helperImage: settings.helperImage,
    volumeStopMode: settings.volumeStopMode,
    project: () => settings.projectName(),
    ...extra,
  };
}
