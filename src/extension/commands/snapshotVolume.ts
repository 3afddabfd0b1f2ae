import { basename } from 'node:path';
import * as vscode from 'vscode';
import { LifeboatError } from '../../core/errors';
import { formatBytes } from '../../core/format';
import { snapshotVolume as runSnapshot } from '../../core/volumeSnapshot';
import type { Lifeboat } from '../lifeboat';
import { encryptNewBackup } from '../encryptNewBackup';
import { runWithProgress } from '../runWithProgress';
import { reportFailedVerification, verifyNewBackup } from '../verifyNewBackup';

/**
 * "Lifeboat: Snapshot Volume…": the runbook's weekly snapshot. A volume holding a database is
 * copied with its containers stopped (and started again whatever happens). Resolves to the file.
 */
export async function snapshotVolume(lb: Lifeboat, arg?: unknown): Promise<string | undefined> {
  const stack = await lb.stacks.discover();
  const settings = lb.stacks.settings;
  let volume = typeof arg === 'string' && arg ? arg : undefined;
  if (!volume) {
    if (stack.volumes.length === 0) throw new LifeboatError('The stack mounts no named volumes.', 'Only named Docker volumes can be snapshotted; bind mounts are files in your workspace.');
    volume = await lb.prompter.pick(
      stack.volumes.map((v) => ({ label: v.name, description: `used by ${v.usedBy.join(', ')}`, value: v.name })),
      'Choose the volume to snapshot',
    );
    if (!volume) return undefined;
  }
  const { result, verified } = await runWithProgress(`Lifeboat: Snapshotting ${volume}`, async (op) => {
    const made = await runSnapshot(lb.stacks.engine, {
      ...op,
      logger: lb.log,
      volume: volume!,
      backupDir: settings.backupDirectory,
      helperImage: settings.helperImage,
      stopContainers: settings.volumeStopMode === 'live' ? [] : 'auto',
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
  const stopped = result.stopped.length ? ` ${result.stopped.join(', ')} stopped for the copy and running again.` : '';
  void vscode.window.showInformationMessage(`Snapshot created${verified ? ' and verified' : ''}${sealed.encrypted ? ' and encrypted' : ''}: ${basename(sealed.path)} (${formatBytes(result.manifest.file.bytes)}).${stopped}`);
  return sealed.path;
}
