import * as vscode from 'vscode';
import { formatBytes } from '../../core/common';
import { quote } from '../../core/reports';
import type { Lifeboat } from '../lifeboat';
import { downloadOffsite as download, offsiteBackupTarget } from './offsiteBackupTarget';

/**
 * "Lifeboat: Download from Off-site" (an Off-site item, palette): brings a copy back into the
 * backup folder, where it shows as a local backup. Resolves to the local file.
 */
export async function downloadOffsite(lb: Lifeboat, arg?: unknown): Promise<string | undefined> {
  const backup = await offsiteBackupTarget(lb, arg, 'Choose the off-site backup to download');
  if (!backup) return undefined;
  const result = await download(lb, backup);
  void vscode.window.showInformationMessage(
    result.outcome === 'present'
      ? `${quote(backup.fileName)} is already on this machine with the same content; nothing was downloaded.`
      : `Downloaded ${quote(backup.fileName)} (${formatBytes(result.bytes)})${result.checked === 'manifest' ? '; it matches the manifest beside the copy' : '; it had no manifest, so verify it before you rely on it'}.`,
  );
  return result.path;
}
