import type { BackupEntry } from '../../core/store';
import { LifeboatError, formatAge, formatBytes, formatCountOf, formatTime } from '../../core/common';
import type { Lifeboat } from '../lifeboat';
import type { PickItem } from '../ui/prompter';

const STATE_LABEL: Record<BackupEntry['state'], string> = {
  verified: '$(pass) verified',
  failed: '$(error) failed verification',
  unverified: 'not verified',
};

/** A quick pick of backups (of one kind, or all), newest first, with age, size and state. */
export async function pickBackup(
  lb: Lifeboat,
  placeHolder: string,
  filter: (e: BackupEntry) => boolean = () => true,
): Promise<string | undefined> {
  const entries = (await lb.catalog.load()).filter(filter);
  if (entries.length === 0) {
    throw new LifeboatError(
      `No matching backups in ${lb.catalog.backupDir}.`,
      'Run "Lifeboat: Back Up Database" first, or point the setting lifeboat.backupDirectory at your backups.',
    );
  }
  // A backup that failed verification is still offered (it may be all there is), but last.
  const ordered = [...entries.filter((e) => e.state !== 'failed'), ...entries.filter((e) => e.state === 'failed')];
  const items: PickItem<string>[] = ordered.map((e) => ({
    label: `${e.kind === 'database' ? '$(database)' : e.kind === 'config' ? '$(settings-gear)' : '$(archive)'} ${formatTime(e.createdAt, true)}`,
    description: `${formatAge(e.createdAt)} · ${formatBytes(e.bytes)} · ${e.encryption && e.state !== 'failed' ? '$(lock) encrypted' : STATE_LABEL[e.state]}`,
    detail: e.manifest?.tables ? `${e.fileName} · ${formatCountOf(Object.keys(e.manifest.tables).length, 'table')}` : e.fileName,
    value: e.path,
  }));
  return lb.prompter.pick(items, placeHolder);
}
