import type { BackupEntry } from '../../core/catalog';
import { LifeboatError } from '../../core/errors';
import { formatAge, formatBytes } from '../../core/format';
import type { Lifeboat } from '../lifeboat';
import type { PickItem } from '../prompter';

const STATE_LABEL: Record<BackupEntry['state'], string> = {
  verified: '$(pass) verified',
  failed: '$(error) failed verification',
  unverified: 'not verified',
};

/** A quick pick of the database backups, newest first, with age, size and verification state. */
export async function pickDatabaseBackup(lb: Lifeboat, placeHolder: string): Promise<string | undefined> {
  const entries = (await lb.catalog.load()).filter((e) => e.kind === 'database' && !e.encryption);
  if (entries.length === 0) {
    throw new LifeboatError(
      `No database backups in ${lb.catalog.backupDir}.`,
      'Run "Lifeboat: Back Up Database" first, or point the setting lifeboat.backupDirectory at your backups.',
    );
  }
  const items: PickItem<string>[] = entries.map((e) => ({
    label: e.createdAt.toISOString().replace('T', ' ').slice(0, 19) + ' UTC',
    description: `${formatAge(e.createdAt)} · ${formatBytes(e.bytes)} · ${STATE_LABEL[e.state]}`,
    detail: e.manifest ? `${e.fileName} · ${Object.keys(e.manifest.tables ?? {}).length} tables` : `${e.fileName} · no manifest`,
    value: e.path,
  }));
  return lb.prompter.pick(items, placeHolder);
}
