import { LifeboatError } from '../common';
import type { UiStep } from '../common';
import { KIND_FOLDERS, manifestName, parseBackupName } from '../store';
import type { BackupKind } from '../store';
import type { Destination } from './destination';

/** A backup at a destination, whoever put it there. */
export interface RemoteBackup {
  /** Relative to the destination's root: "database/sms_backup_….sql.gz". */
  remotePath: string;
  fileName: string;
  kind: BackupKind;
  bytes: number;
  createdAt: Date;
  modified?: Date;
  /**
   * Whether its manifest is beside it. Lifeboat writes the manifest last, after reading the copy
   * back; a file without one was put there by other tools (the runbook's `aws s3 cp`).
   */
  hasManifest: boolean;
}

/** Every backup the destination holds, newest first, by the names the runbook and Lifeboat give. */
export async function remoteBackups(destination: Destination): Promise<RemoteBackup[]> {
  const out: RemoteBackup[] = [];
  for (const folder of new Set(Object.values(KIND_FOLDERS))) {
    const entries = await destination.list(`${folder}`);
    const names = new Set(entries.map((e) => e.path));
    for (const e of entries) {
      const fileName = e.path.slice(folder.length + 1);
      const parsed = parseBackupName(fileName);
      if (!parsed || fileName.includes('/')) continue;
      out.push({
        remotePath: e.path,
        fileName,
        kind: parsed.kind,
        bytes: e.bytes,
        createdAt: parsed.time,
        modified: e.modified,
        hasManifest: names.has(manifestName(e.path)),
      });
    }
  }
  return out.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
}

export interface OffsiteCopy {
  /** Relative to the destination's root. */
  remotePath: string;
  bytes: number;
}

/**
 * The local file name a remote object stands for: the same name, or the unencrypted name of a
 * copy that was encrypted on its way off-site (`x.sql.gz.age` stands for `x.sql.gz`).
 */
export function offsitePathOf(remoteName: string): string[] {
  const names = [remoteName];
  if (/\.(age|enc)$/.test(remoteName)) names.push(remoteName.replace(/\.(age|enc)$/, ''));
  return names;
}

/**
 * What the destination holds, by the local backup name each copy stands for. Only copies
 * with their manifest beside them count: the manifest is written last, after the data was
 * checked where it landed, so a copy without one never finished.
 */
export async function offsiteCopies(destination: Destination): Promise<Map<string, OffsiteCopy>> {
  return copiesOf(await remoteBackups(destination));
}

function copiesOf(backups: readonly RemoteBackup[]): Map<string, OffsiteCopy> {
  const out = new Map<string, OffsiteCopy>();
  for (const b of backups) {
    if (!b.hasManifest) continue;
    for (const local of offsitePathOf(b.fileName)) if (!out.has(local)) out.set(local, { remotePath: b.remotePath, bytes: b.bytes });
  }
  return out;
}

/** What the Backups view shows about a destination: where it is, what it holds, or why it could not be read. */
export interface OffsiteState {
  where: string;
  copies: Map<string, OffsiteCopy>;
  /** Everything there, with or without a manifest, for the view's Off-site group. */
  backups: RemoteBackup[];
  problem?: string;
  /** The step a front end offers for the problem (saving S3 keys), when core named one. */
  problemStep?: UiStep;
  /** Set when the listing did not end in the time a view waits for it (readOffsiteStateWithin); `problem` says so. */
  timedOutAfterMs?: number;
}

/** The copies at a destination, or the reason they could not be listed (a disk that is not mounted). */
export async function readOffsiteState(destination: Destination): Promise<OffsiteState> {
  try {
    await destination.check();
    const backups = await remoteBackups(destination);
    return { where: destination.describe(), copies: copiesOf(backups), backups };
  } catch (err) {
    const step = err instanceof LifeboatError ? err.ui : undefined;
    return {
      where: destination.describe(),
      copies: new Map(),
      backups: [],
      problem: (err as Error).message,
      ...(step ? { problemStep: step } : {}),
    };
  }
}

/** The copy standing for a local backup, by its file name (an encrypted local file has the same name there). */
export function offsiteCopyOf(state: OffsiteState, fileName: string): OffsiteCopy | undefined {
  return state.copies.get(fileName);
}
