import { basename } from 'node:path';
import { LifeboatError, formatAge, formatBytes, formatTime } from '../../core/common';
import { Destination, FetchOffsiteResult, RemoteBackup, fetchOffsite, parseDestination, remoteBackups } from '../../core/offsite';
import type { BackupKind } from '../../core/store';
import type { Lifeboat } from '../lifeboat';
import { OffsiteBackupItem } from '../tree/offsiteItem';
import { runWithProgress } from '../ui/runWithProgress';
import type { PickItem } from '../ui/prompter';

const KIND_ICON: Record<BackupKind, string> = { database: '$(database)', config: '$(settings-gear)', volume: '$(archive)' };

/** The configured destination, or an error that says how to set one. */
export function offsiteDestination(lb: Lifeboat): Destination {
  const destination = parseDestination(lb.stacks.settings.offsiteDestination);
  if (!destination) {
    throw new LifeboatError(
      'No off-site destination is set, so there are no off-site backups to use.',
      'Set lifeboat.offsite.destination to where the copies are (for example "/mnt/nas/sms-backups"), then retry.',
    );
  }
  return destination;
}

/**
 * The off-site backup a command acts on: the Off-site item it was run on, or one picked from
 * what the destination holds (of `kinds`), newest first.
 */
export async function offsiteBackupTarget(
  lb: Lifeboat,
  arg: unknown,
  placeHolder: string,
  kinds: readonly BackupKind[] = ['database', 'config', 'volume'],
): Promise<RemoteBackup | undefined> {
  if (arg instanceof OffsiteBackupItem) return arg.backup;
  const destination = offsiteDestination(lb);
  const all = await runWithProgress(`Lifeboat: Listing ${destination.describe()}`, async () => {
    await destination.check();
    return remoteBackups(destination);
  });
  const backups = all.filter((b) => kinds.includes(b.kind));
  if (!backups.length) {
    throw new LifeboatError(
      `No ${kinds.length === 1 ? `${kinds[0]} ` : ''}backups in ${destination.describe()}.`,
      'Copy backups there with "Lifeboat: Copy Off-site", or check lifeboat.offsite.destination.',
    );
  }
  const local = new Set((await lb.catalog.load()).map((e) => e.fileName));
  const items: PickItem<RemoteBackup>[] = backups.map((b) => ({
    label: `${KIND_ICON[b.kind]} ${formatTime(b.createdAt, true)}`,
    description: `${formatAge(b.createdAt)} · ${formatBytes(b.bytes)} · ${local.has(b.fileName) ? 'also on this machine' : '$(cloud) off-site only'}`,
    detail: `${b.remotePath}${b.hasManifest ? '' : ' · no manifest (put there by other tools)'}`,
    value: b,
  }));
  return lb.prompter.pick(items, placeHolder);
}

/**
 * Downloads an off-site backup into the backup folder with progress and cancel, checked
 * against its manifest before it gets its name; resolves to the local file.
 */
export async function downloadOffsite(lb: Lifeboat, backup: RemoteBackup): Promise<FetchOffsiteResult> {
  const destination = offsiteDestination(lb);
  const result = await runWithProgress(`Lifeboat: Downloading ${basename(backup.remotePath)}`, (op) =>
    fetchOffsite(destination, backup.remotePath, lb.catalog.backupDir, { ...op, logger: lb.log }),
  );
  lb.catalog.invalidate();
  return result;
}
