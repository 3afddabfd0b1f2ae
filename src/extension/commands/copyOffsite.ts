import { basename } from 'node:path';
import * as vscode from 'vscode';
import { LifeboatError, formatBytes } from '../../core/common';
import { quote } from '../../core/reports';
import { CopyOffsiteResult, OffsiteKey, copyOffsite as runCopy, parseDestination, withOffsiteLock } from '../../core/offsite';
import { commandOffsiteOptions } from '../offsiteOptions';
import type { Lifeboat } from '../lifeboat';
import { runWithProgress } from '../ui/runWithProgress';
import { PassphraseStore, encryptionKey, encryptionSettings } from '../secrets';
import { backupTarget } from './backupTarget';
import { pickBackup } from './pickBackup';

/**
 * "Lifeboat: Copy Off-site" (palette, a Backups item, Explorer right-click): copies a backup to
 * `lifeboat.offsite.destination`, checked there (read back, or proven by S3's SHA256 checksums) before it counts. With
 * `lifeboat.offsite.requireEncryption` an unencrypted backup is encrypted on the way with the
 * configured key; a passphrase is never asked for here, since one typed once and forgotten
 * would make the copy useless. Resolves to the result.
 */
export async function copyOffsite(lb: Lifeboat, arg?: unknown): Promise<CopyOffsiteResult | undefined> {
  const settings = lb.stacks.settings;
  const destination = parseDestination(settings.offsiteDestination, commandOffsiteOptions(lb));
  if (!destination) {
    throw new LifeboatError(
      'No off-site destination is set, so there is nowhere to copy the backup to.',
      'Set lifeboat.offsite.destination to a folder on a mounted NAS or USB disk (for example "/mnt/nas/sms-backups"), to S3-compatible storage ("s3://bucket/prefix") or to an SFTP server ("sftp://user@host/path"), then retry.',
    );
  }
  const file = arg ? backupTarget(arg).fsPath : await pickBackup(lb, 'Choose the backup to copy off-site');
  if (!file) return undefined;
  const name = basename(file);
  const requireEncryption = settings.offsiteRequireEncryption;
  const key = requireEncryption && !/\.(age|enc)$/.test(name) ? await configuredKey(lb, name) : undefined;

  // The lock keeps a copyNewBackups run, a click and a command-line copy from sending the same object at once.
  const result = await runWithProgress(`Lifeboat: Copying ${quote(name)} off-site`, (op) =>
    withOffsiteLock(
      settings.backupDirectory,
      destination,
      () => runCopy(file, destination, { ...op, logger: lb.log, requireEncryption, key }),
      {
        signal: op.signal,
      },
    ),
  ).finally(() => destination.close?.());
  lb.catalog.invalidate();
  const where = destination.describe();
  void vscode.window.showInformationMessage(
    result.outcome === 'skipped'
      ? `${quote(name)} is already in ${where} with the same sha256, so nothing was sent.`
      : `Copied ${quote(name)} to ${where} as ${quote(result.remotePath)} (${formatBytes(result.bytes)}${result.encrypted && !/\.(age|enc)$/.test(name) ? ', encrypted for the copy' : ''}); ${result.checkedBy === 'checksums' ? "the storage's SHA256 checksums prove it holds the same bytes" : 'it was read back and matches'}.`,
  );
  return result;
}

/** The key Encrypt Backup would use, when one is configured (recipients, key file or a saved passphrase). */
async function configuredKey(lb: Lifeboat, name: string): Promise<OffsiteKey | undefined> {
  const enc = encryptionSettings(lb.stacks.folder);
  const configured = (enc.format === 'age' && enc.recipients.length > 0) || !!enc.keyFile || !!(await PassphraseStore.of(lb).get());
  if (!configured) return undefined;
  const chosen = await encryptionKey(lb, enc, name);
  if (!chosen) return undefined;
  lb.log.info(`Encrypting the off-site copy of ${name} (${enc.format}) with ${chosen.describe}`);
  return { format: enc.format, passphrase: chosen.passphrase, recipients: chosen.recipients };
}
