import { basename } from 'node:path';
import * as vscode from 'vscode';
import { LifeboatError } from '../../core/errors';
import { waitForHealthy } from '../../core/healthCheck';
import { parseBackupName } from '../../core/naming';
import { restoreVolume as runRestore } from '../../core/volumeRestore';
import type { Lifeboat } from '../lifeboat';
import { runWithProgress } from '../runWithProgress';
import { backupTarget } from './backupTarget';
import { pickBackup } from './pickBackup';

/**
 * "Lifeboat: Restore Volume Snapshot…" (Scenario 2, "Complete system failure"): a modal names
 * the volume and the containers that stop, then a safety snapshot of the current volume is
 * taken before anything is replaced (contract 3); a failure puts it back.
 */
export async function restoreVolume(lb: Lifeboat, arg?: unknown): Promise<string | undefined> {
  const file = arg ? backupTarget(arg).fsPath : await pickBackup(lb, 'Choose the volume snapshot to restore', (e) => e.kind === 'volume' && !e.encryption);
  if (!file) return undefined;
  const stack = await lb.stacks.discover();
  const settings = lb.stacks.settings;
  const parsed = parseBackupName(basename(file));
  const manifestVolume = (await lb.catalog.get()).find((e) => e.path === file)?.manifest?.source.volume;
  // The runbook names its snapshots after a shortened volume name (volume_sms_postgres_…).
  const volume =
    manifestVolume ??
    stack.volumes.find((v) => v.name === parsed?.subject)?.name ??
    (stack.volumes.length === 1 ? stack.volumes[0].name : undefined);
  if (!volume) throw new LifeboatError(`Cannot tell which volume ${basename(file)} belongs to.`, 'Snapshots made by Lifeboat record it in their manifest; for others, rename the file to volume_<volume>_YYYYMMDD_HHMMSS.tar.gz.');
  const containers = [...stack.apps.map((a) => a.name), stack.db.name];
  const detail = [
    `The volume ${volume} is replaced by the contents of ${basename(file)}.`,
    `A safety snapshot of the volume as it is now is taken first and kept; if the restore fails, it is put back.`,
    `${containers.join(', ')} stop during the restore and start again afterwards.`,
  ].join('\n\n');
  if ((await lb.prompter.confirm(`Replace the volume ${volume}?`, detail, 'Replace…')) !== 'Replace…') return undefined;
  if (!(await lb.prompter.typeToConfirm(`Type ${volume} to replace the volume.`, volume))) return undefined;
  const result = await runWithProgress(`Lifeboat: Restoring ${volume}`, (op) =>
    runRestore(lb.stacks.engine, { ...op, logger: lb.log, volume, file, backupDir: settings.backupDirectory, stack, helperImage: settings.helperImage }),
  );
  lb.catalog.invalidate();
  // The containers report healthy; the app's own health URL says whether it works with this data.
  const health = settings.health;
  if (health) {
    try {
      await runWithProgress(`Lifeboat: Health check ${health.url}`, (op) => waitForHealthy(health, op.signal));
    } catch (err) {
      throw new LifeboatError(
        `${volume} was restored from ${basename(file)}, but ${(err as Error).message}`,
        `The volume as it was is kept in ${basename(result.safety.path)}: restore that snapshot to go back.`,
      );
    }
  }
  void vscode.window.showInformationMessage(
    `Restored ${volume} from ${basename(file)} in ${(result.durationMs / 1000).toFixed(1)} s; ${result.restarted.join(', ')} running again. The volume as it was is kept in ${basename(result.safety.path)}.`,
  );
  return result.safety.path;
}
