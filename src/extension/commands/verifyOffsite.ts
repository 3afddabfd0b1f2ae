import type { Lifeboat } from '../lifeboat';
import { downloadOffsite, offsiteBackupTarget } from './offsiteBackupTarget';
import { verifyBackup } from './verifyBackup';

/**
 * "Lifeboat: Verify Off-site Backup" (an Off-site item, palette): what the copy holds, checked
 * the way a restore would use it. It is downloaded (checked against its manifest) and then
 * verified like a local backup; the download stays, as a local copy of it.
 */
export async function verifyOffsite(lb: Lifeboat, arg?: unknown): Promise<unknown> {
  const backup = await offsiteBackupTarget(lb, arg, 'Choose the off-site backup to verify');
  if (!backup) return undefined;
  const { path } = await downloadOffsite(lb, backup);
  return verifyBackup(lb, path);
}
