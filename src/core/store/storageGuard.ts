import { listBackups } from './catalog';
import { DiskSpace, diskSpace } from './diskSpace';
import { LifeboatError, formatBytes } from '../common';
import type { BackupKind } from './naming';

/** Room asked for beyond the previous backup's size: data grows between backups. */
const GROWTH = 1.1;

/**
 * The runbook's "Storage full" failure, caught before it starts: when the previous backup of
 * this kind (and subject) would not fit in the free space, a new one would fail half-way, so
 * it does not start. With no previous backup there is nothing to go by, and the write itself
 * reports a full disk.
 */
export async function assertRoomForBackup(
  backupDir: string,
  kind: BackupKind,
  subject?: string,
  measure: (p: string) => Promise<DiskSpace | undefined> = diskSpace,
): Promise<void> {
  const previous = (await listBackups(backupDir)).find(
    (e) => e.kind === kind && !e.encryption && (subject === undefined || e.subject === subject),
  );
  if (!previous) return;
  const disk = await measure(backupDir);
  if (!disk) return;
  const needed = Math.ceil(previous.bytes * GROWTH);
  if (disk.freeBytes >= needed) return;
  throw new LifeboatError(
    `Not enough free space for a new ${kind} backup in ${backupDir}: ${formatBytes(disk.freeBytes)} free, and the previous one ("${previous.fileName}") took ${formatBytes(previous.bytes)}.`,
    'Nothing was written. See what retention can delete, free space on that disk, or point lifeboat.backupDirectory elsewhere.',
    undefined,
    { ui: 'preview-cleanup' },
  );
}
