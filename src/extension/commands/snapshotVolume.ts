import * as vscode from 'vscode';
import { LifeboatError, formatEstimate } from '../../core/common';
import { quote, quoteList, snapshotCreatedNotice } from '../../core/reports';
import { containersToStop, lastSnapshotDuration, snapshotVolume as runSnapshot } from '../../core/volume';
import type { Lifeboat } from '../lifeboat';
import { copyNewBackup } from '../copyNewBackup';
import { encryptNewBackup } from '../encryptNewBackup';
import { runWithProgress } from '../ui/runWithProgress';
import { reportFailedVerification, verifyNewBackup } from '../verifyNewBackup';

const STOP = 'Stop and Snapshot';
const LIVE = 'Copy Live (no downtime)';

/**
 * "Lifeboat: Snapshot Volume…": the runbook's weekly snapshot. A volume holding a database is
 * copied with its containers stopped (and started again whatever happens), after a modal that
 * says which ones and for how long, and offers a live copy instead. Resolves to the file.
 * Scheduled snapshots run in core's backup job and never ask.
 */
export async function snapshotVolume(lb: Lifeboat, arg?: unknown): Promise<string | undefined> {
  const stack = await lb.stacks.discover();
  const settings = lb.stacks.settings;
  let volume = typeof arg === 'string' && arg ? arg : undefined;
  if (!volume) {
    if (stack.volumes.length === 0)
      throw new LifeboatError(
        'The stack mounts no named volumes.',
        'Only named Docker volumes can be snapshotted; bind mounts are files in your workspace.',
      );
    volume = await lb.prompter.pick(
      stack.volumes.map((v) => ({ label: v.name, description: `used by ${v.usedBy.join(', ')}`, value: v.name })),
      'Choose the volume to snapshot',
    );
    if (!volume) return undefined;
  }
  const stopContainers = await askToStop(lb, volume);
  if (!stopContainers) return undefined;
  const { result, verified } = await runWithProgress(`Lifeboat: Snapshotting ${quote(volume)}`, async (op) => {
    const made = await runSnapshot(lb.stacks.engine, {
      ...op,
      logger: lb.log,
      volume: volume!,
      backupDir: settings.backupDirectory,
      helperImage: settings.helperImage,
      stopContainers,
      level: settings.compressionLevel,
    });
    return { result: made, verified: await verifyNewBackup(lb, made.path, op) };
  });
  lb.catalog.invalidate();
  if (verified && !verified.ok) {
    reportFailedVerification(lb, verified);
    return result.path;
  }
  const sealed = await encryptNewBackup(lb, result.path);
  await copyNewBackup(lb, sealed.path);
  void vscode.window.showInformationMessage(
    snapshotCreatedNotice({
      path: sealed.path,
      verified: !!verified,
      encrypted: sealed.encrypted,
      bytes: result.manifest.file.bytes,
      stopped: result.stopped,
      live: stopContainers.length === 0,
    }),
  );
  return sealed.path;
}

/**
 * The containers the user agreed to stop ([] for a live copy), or undefined when they declined.
 * The list asked about is the list stopped: a container started after the modal is not stopped
 * without asking.
 */
async function askToStop(lb: Lifeboat, volume: string): Promise<string[] | undefined> {
  if (lb.stacks.settings.volumeStopMode === 'live') return [];
  const toStop = await containersToStop(lb.stacks.engine, volume);
  if (toStop.length === 0) return [];
  const last = await lastSnapshotDuration(lb.stacks.settings.backupDirectory, volume);
  const howLong = last === undefined ? 'a short while' : `about ${formatEstimate(last)}`;
  const chosen = await lb.prompter.confirm(
    `Stop ${quoteList(toStop)} for ${howLong} to snapshot ${quote(volume)}?`,
    `A database must not be copied while it writes, so ${toStop.length > 1 ? 'they stop' : 'it stops'} for the copy and ${toStop.length > 1 ? 'start' : 'starts'} again afterwards, even if the copy fails; the app is unavailable meanwhile${last === undefined ? '' : ' (estimated from the last snapshot of this volume)'}.\n\n${LIVE}: nothing stops, but a copy taken while the database writes may need crash recovery when restored.`,
    STOP,
    'Not Now',
    LIVE,
  );
  if (chosen === STOP) return toStop;
  if (chosen === LIVE) return [];
  return undefined;
}
