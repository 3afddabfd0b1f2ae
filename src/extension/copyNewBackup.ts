import { basename } from 'node:path';
import * as vscode from 'vscode';
import { isCancelled, quote } from '../core/common';
import { readManifest, verificationState } from '../core/store';
import { copyOffsite } from './commands/copyOffsite';
import type { Lifeboat } from './lifeboat';

/**
 * `lifeboat.offsite.copyNewBackups`: a new backup, once verified (and encrypted when that is
 * on), is copied off-site by "Lifeboat: Copy Off-site". The local backup counts whatever
 * happens here: a failed or cancelled copy is reported as a copy still to make, never as a
 * failed backup, and never throws.
 */
export async function copyNewBackup(lb: Lifeboat, file: string): Promise<void> {
  const settings = lb.stacks.settings;
  if (!settings.offsiteCopyNewBackups || !settings.offsiteDestination) return;
  const name = basename(file);
  const { manifest } = await readManifest(file);
  if (verificationState(manifest) !== 'verified') {
    lb.log.info(`${name} is not verified, so it was not copied off-site (lifeboat.offsite.copyNewBackups copies verified backups only).`);
    return;
  }
  try {
    await copyOffsite(lb, vscode.Uri.file(file));
  } catch (err) {
    const why = isCancelled(err) ? 'the copy was cancelled' : (err as Error).message;
    const text = `${quote(name)} was made and verified, but its off-site copy is still to make: ${why}`;
    lb.log.warn(text);
    void lb.prompter.warn(text, 'Copy Off-site').then((pick) => {
      if (pick) void vscode.commands.executeCommand('lifeboat.copyOffsite', vscode.Uri.file(file));
    });
  }
}
