import { basename } from 'node:path';
import * as vscode from 'vscode';
import { waitForHealthy } from '../../core/stack';
import type { Stack } from '../../core/stack';
import { LifeboatError, isCancelled } from '../../core/common';
import { snapshotVolumeName, volumeExists, restoreVolume as runRestore } from '../../core/volume';
import type { VolumeManifest } from '../../core/volume';
import { quote, quoteList, volumeRecreatedNotice, volumeRestoredNotice } from '../../core/reports';
import type { Lifeboat } from '../lifeboat';
import { runWithProgress } from '../ui/runWithProgress';
import { backupKeys } from '../secrets';
import { showRestoreCancelled } from '../showRestoreCancelled';
import { backupTarget } from './backupTarget';
import { pickBackup } from './pickBackup';

/**
 * "Lifeboat: Restore Volume Snapshot…" (Scenario 2, "Complete system failure"): a modal names the
 * volume and the containers that stop; the current content is kept aside before anything is
 * replaced (contract 3 in docs/contracts.md, optionally also as a kept snapshot file); a failure
 * puts it back. A volume that no longer exists is offered to be made again from what its snapshot
 * recorded.
 */
export async function restoreVolume(lb: Lifeboat, arg?: unknown): Promise<string | undefined> {
  const file = arg ? backupTarget(arg).fsPath : await pickBackup(lb, 'Choose the volume snapshot to restore', (e) => e.kind === 'volume');
  if (!file) return undefined;
  const manifest = (await lb.catalog.get()).find((e) => e.path === file)?.manifest as VolumeManifest | undefined;
  const manifestVolume = manifest?.source.volume;
  // After "Complete system failure" (`docker compose down -v`) there is no stack to find; a
  // snapshot that names its volume is still restorable, into a volume made again.
  let stack: Stack | undefined;
  try {
    stack = await lb.stacks.discover();
  } catch (err) {
    if (!manifestVolume || !(await missing(lb, manifestVolume))) throw err;
  }
  const settings = lb.stacks.settings;
  const volume = snapshotVolumeName(file, manifest, stack);

  const recreate = await missing(lb, volume);
  // Core puts the current content back (or removes a volume it made) before a cancel ends the restore (contract 3).
  const unchanged = () =>
    showRestoreCancelled(
      'Volume restore',
      recreate ? `The volume "${volume}" was not re-created.` : `The volume "${volume}" was not changed.`,
    );
  if (recreate) {
    const how = manifest?.volumeDriver
      ? `It is made again with the driver "${manifest.volumeDriver.driver}"${describeLabels(manifest.volumeDriver.labels)}, as recorded when the snapshot was taken, so "docker compose up" adopts it.`
      : `${quote(basename(file))} has no manifest, so it is made with the local driver and no labels; "docker compose up" will warn that it was not created by Compose.`;
    const detail = [
      `The volume ${quote(volume)} does not exist any more.`,
      how,
      `Then the contents of ${quote(basename(file))} are put into it. No safety snapshot is needed: there is nothing to lose. No container is stopped.`,
    ].join('\n\n');
    if (
      (await lb.prompter.confirm(
        `Re-create the volume ${quote(volume)} and restore it?`,
        detail,
        'Re-create and Restore',
        'Do Nothing',
      )) !== 'Re-create and Restore'
    )
      return unchanged();
  } else {
    if (!stack) stack = await lb.stacks.discover();
    const containers = [...stack.apps.map((a) => a.name), stack.db.name];
    const detail = [
      `The volume ${quote(volume)} is replaced by the contents of ${quote(basename(file))}.`,
      `The snapshot is checked and unpacked beside the current content first. The current content is then kept aside in the volume until the containers are healthy; if the restore fails, it is put back.${settings.keepSafetySnapshot ? ' A safety snapshot file of it is also written and kept.' : ''}`,
      `${quoteList(containers)} stop for the swap and start again afterwards.`,
    ].join('\n\n');
    if ((await lb.prompter.confirm(`Replace the volume ${quote(volume)}?`, detail, 'Replace…', 'Keep Volume')) !== 'Replace…')
      return unchanged();
    if (!(await lb.prompter.typeToConfirm(`Type ${quote(volume)} to replace the volume.`, volume))) return unchanged();
  }
  const result = await runWithProgress(`Lifeboat: Restoring ${quote(volume)}`, (op) =>
    runRestore(lb.stacks.engine, {
      ...op,
      logger: lb.log,
      volume,
      file,
      backupDir: settings.backupDirectory,
      stack: recreate ? undefined : stack,
      helperImage: settings.helperImage,
      recreateMissing: recreate,
      keepSafetySnapshot: settings.keepSafetySnapshot,
      keys: backupKeys(lb),
    }),
  ).catch((err: unknown) => {
    if (isCancelled(err)) return undefined;
    throw err;
  });
  lb.catalog.invalidate();
  if (!result) return unchanged();
  if (result.recreated) {
    void vscode.window.showInformationMessage(
      volumeRecreatedNotice({ volume, file, durationMs: result.durationMs, note: result.recreated.note }),
    );
    return volume;
  }
  const undo = result.safety
    ? `The volume as it was is kept in ${basename(result.safety.path)}: restore that snapshot to go back.`
    : 'The volume as it was is no longer kept (setting lifeboat.volumes.keepSafetySnapshot keeps a copy); restore an older snapshot to go back.';
  // The containers report healthy; the app's own health URL says whether it works with this data.
  const health = settings.health;
  if (health) {
    try {
      await runWithProgress(`Lifeboat: Checking the app at ${quote(health.url)}`, (op) => waitForHealthy(health, op.signal));
    } catch (err) {
      throw new LifeboatError(
        `${quote(volume)} was restored from ${quote(basename(file))}, but ${(err as Error).message}`,
        undo,
        undefined,
        {
          cause: err,
        },
      );
    }
  }
  void vscode.window.showInformationMessage(
    volumeRestoredNotice({ volume, file, durationMs: result.durationMs, restarted: result.restarted, kept: result.safety?.path }),
  );
  return result.safety?.path ?? volume;
}

async function missing(lb: Lifeboat, volume: string): Promise<boolean> {
  return !(await volumeExists(lb.stacks.engine, volume));
}

function describeLabels(labels: Record<string, string>): string {
  const project = labels['com.docker.compose.project'];
  const name = labels['com.docker.compose.volume'];
  if (project && name) return ` and the Compose labels of volume ${quote(name)} in project ${quote(project)}`;
  const n = Object.keys(labels).length;
  return n ? ` and its ${n} label${n > 1 ? 's' : ''}` : ' (it had no labels)';
}
