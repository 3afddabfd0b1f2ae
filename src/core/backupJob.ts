import type Docker from 'dockerode';
import { archiveConfig } from './configArchive';
import { backupDatabase } from './databaseBackup';
import { Stack, discoverStack } from './discovery';
import { LifeboatError } from './errors';
import type { Manifest } from './manifest';
import type { BackupKind } from './naming';
import type { OperationOptions } from './progress';
import type { LifeboatSettings } from './settings';
import { VerifyResult, verifyBackup } from './verify';
import { snapshotVolume } from './volumeSnapshot';

export interface MadeBackup {
  path: string;
  manifest: Manifest;
  /** Absent when lifeboat.verify.onCreate is off. */
  verified?: VerifyResult;
}

export interface BackupJobOptions extends OperationOptions {
  /** Volumes to snapshot; default: every named volume the stack mounts. */
  volumes?: string[];
}

/**
 * One backup of a kind, made and checked the way the settings say, with no UI: what the
 * command line and a scheduled run do (the extension's commands add their own prompts).
 * A volume job makes one snapshot per volume.
 */
export async function runBackupJob(docker: Docker | undefined, settings: LifeboatSettings, kind: BackupKind, opts: BackupJobOptions = {}): Promise<MadeBackup[]> {
  const depth = settings.verifyOnCreate;
  const check = async (made: { path: string; manifest: Manifest }, stack?: Stack): Promise<MadeBackup> => ({
    ...made,
    verified: depth === 'off' ? undefined : await verifyBackup(made.path, { ...opts, depth, docker, stack }),
  });
  if (kind === 'config') {
    const workspace = settings.folderPath;
    if (!workspace) throw new LifeboatError('A config archive needs the project folder.', 'Pass --folder with the folder that holds docker-compose.yml.');
    const made = await archiveConfig({
      ...opts,
      backupDir: settings.backupDirectory,
      workspace,
      paths: settings.configPaths,
      project: await settings.projectName(),
      level: settings.compressionLevel,
    });
    return [await check(made)];
  }
  if (!docker) throw new LifeboatError(`A ${kind} backup needs the Docker engine.`);
  const stack = await discoverStack(docker, settings.discovery);
  if (kind === 'database') {
    const made = await backupDatabase(docker, stack, {
      ...opts,
      backupDir: settings.backupDirectory,
      prefix: settings.backupPrefix || undefined,
      level: settings.compressionLevel,
    });
    return [await check(made, stack)];
  }
  const volumes = opts.volumes?.length ? opts.volumes : stack.volumes.map((v) => v.name);
  if (volumes.length === 0) throw new LifeboatError(`The stack ${stack.project ?? stack.db.name} mounts no named volumes.`, 'Only named Docker volumes can be snapshotted.');
  const out: MadeBackup[] = [];
  for (const volume of volumes) {
    const made = await snapshotVolume(docker, {
      ...opts,
      volume,
      backupDir: settings.backupDirectory,
      helperImage: settings.helperImage,
      stopContainers: settings.volumeStopMode === 'live' ? [] : 'auto',
      level: settings.compressionLevel,
    });
    out.push(await check(made));
  }
  return out;
}
