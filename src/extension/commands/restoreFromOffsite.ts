import type { Lifeboat } from '../lifeboat';
import { downloadOffsite, offsiteBackupTarget } from './offsiteBackupTarget';
import { restoreConfig } from './restoreConfig';
import { restoreDatabase } from './restoreDatabase';
import { restoreVolume } from './restoreVolume';

/**
 * "Lifeboat: Restore from Off-site…" (palette, an Off-site item): the "complete failure" path on
 * a new machine. The copy is downloaded and checked against its manifest first; then the
 * restore of its kind runs on the local file exactly as it would on any backup (dry run,
 * proof, confirmation, swap), so nothing about the live data is decided before that.
 */
export async function restoreFromOffsite(lb: Lifeboat, arg?: unknown): Promise<string | undefined> {
  const backup = await offsiteBackupTarget(lb, arg, 'Choose the off-site backup to restore');
  if (!backup) return undefined;
  const { path } = await downloadOffsite(lb, backup);
  if (backup.kind === 'database') return restoreDatabase(lb, path);
  if (backup.kind === 'volume') return restoreVolume(lb, path);
  await restoreConfig(lb, path);
  return path;
}
