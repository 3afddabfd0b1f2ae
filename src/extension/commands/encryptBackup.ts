import { basename } from 'node:path';
import * as vscode from 'vscode';
import { quote } from '../../core/reports';
import { encryptFile, removePlaintextCopy } from '../../core/encryption';
import { LifeboatError, formatBytes } from '../../core/common';
import type { Lifeboat } from '../lifeboat';
import { runWithProgress } from '../ui/runWithProgress';
import { encryptionKey, encryptionSettings, offerToRemember } from '../secrets';
import { backupTarget } from './backupTarget';
import { pickBackup } from './pickBackup';

/**
 * "Lifeboat: Encrypt Backup…" (palette, a Backups item, or right-click a backup in the
 * Explorer): writes `<file>.age` (or `.enc`) next to the backup, proven to decrypt with the
 * key, then asks whether to delete the unencrypted original. Resolves to the encrypted path.
 */
export async function encryptBackup(lb: Lifeboat, arg?: unknown): Promise<string | undefined> {
  const file = arg ? backupTarget(arg).fsPath : await pickBackup(lb, 'Choose the backup to encrypt', (e) => !e.encryption);
  if (!file) return undefined;
  const name = basename(file);
  if (/\.(age|enc)$/.test(name))
    throw new LifeboatError(`${quote(name)} is already encrypted.`, 'Choose an unencrypted backup (.sql.gz or .tar.gz).');
  const settings = encryptionSettings(lb.stacks.folder);
  const key = await encryptionKey(lb, settings, name);
  if (!key) return undefined;
  lb.log.info(`Encrypting ${file} (${settings.format}) with ${key.describe}`);

  const result = await runWithProgress(`Lifeboat: Encrypting ${quote(name)}`, (op) =>
    encryptFile(file, {
      ...op,
      logger: lb.log,
      format: settings.format,
      passphrase: key.passphrase,
      recipients: key.recipients,
      identities: key.identities,
    }),
  );
  lb.catalog.invalidate();
  await offerToRemember(lb, key);

  const proven = result.proof === 'decrypted';
  const detail = [
    proven
      ? `${quote(basename(result.path))} (${formatBytes(result.manifest.file.bytes)}) was decrypted again with the same key and gave exactly the same data.`
      : `${quote(basename(result.path))} was written, but no identity file was at hand to prove that it decrypts (set lifeboat.encryption.identityFile).`,
    `Deleting ${quote(name)} and its manifest leaves only the encrypted copy: without ${key.source === 'recipients' ? 'an identity of its recipients' : 'the passphrase'} it cannot be restored. This cannot be undone.`,
  ].join('\n\n');
  const choice = await lb.prompter.confirm(`Delete the unencrypted ${quote(name)}?`, detail, 'Delete Unencrypted', 'Keep Unencrypted');
  if (choice === 'Delete Unencrypted') {
    await removePlaintextCopy(file);
    lb.log.info(`Deleted the unencrypted ${file}`);
    lb.catalog.invalidate();
  }
  void vscode.window.showInformationMessage(
    `Encrypted ${quote(name)} to ${quote(basename(result.path))} (${settings.format}${proven ? ', proven to decrypt' : ''}).${choice === 'Delete Unencrypted' ? ' The unencrypted file was deleted.' : ''}`,
  );
  return result.path;
}
