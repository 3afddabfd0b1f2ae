import { basename } from 'node:path';
import * as vscode from 'vscode';
import { encryptFile, removePlaintextCopy } from '../core/encryption';
import { LifeboatError, isCancelled } from '../core/common';
import { readManifest } from '../core/store';
import { verifyBackup } from '../core/verify';
import { quote } from '../core/reports';
import type { Lifeboat } from './lifeboat';
import { runWithProgress } from './ui/runWithProgress';
import { encryptionKey, encryptionSettings, offerToRemember } from './secrets';

export interface NewBackupEncryption {
  /** Where the backup now is: the encrypted file, or the plaintext when it stayed unencrypted. */
  path: string;
  encrypted: boolean;
}

/**
 * `lifeboat.encryption.encryptNewBackups`: a backup just made is verified (unless that already
 * happened), encrypted, and its unencrypted file deleted only once the encrypted one decrypted
 * again to the same sha256. Whenever the plaintext stays (no key given, nothing to prove the
 * recipients' file opens, a failed verification), the user is told; a failure to encrypt is an
 * error that says the unencrypted backup is kept.
 */
export async function encryptNewBackup(lb: Lifeboat, file: string): Promise<NewBackupEncryption> {
  const settings = encryptionSettings(lb.stacks.folder);
  const kept = { path: file, encrypted: false };
  if (!settings.encryptNewBackups) return kept;
  const name = basename(file);

  const { manifest } = await readManifest(file);
  const last = manifest?.verifications.at(-1);
  if (!last?.ok) {
    const check = last
      ? undefined
      : await runWithProgress(`Lifeboat: Verifying ${quote(name)}`, (op) => verifyBackup(file, { ...op, depth: 'quick', logger: lb.log }));
    if (!check?.ok) {
      warnKept(lb, file, `it did not pass verification${check?.problem ? ` (${check.problem})` : ''}, so it was not encrypted`);
      return kept;
    }
  }

  const key = await encryptionKey(lb, settings, name);
  if (!key) {
    warnKept(lb, file, 'no passphrase was given');
    return kept;
  }
  lb.log.info(`Encrypting the new backup ${file} (${settings.format}) with ${key.describe}`);
  let result;
  try {
    result = await runWithProgress(`Lifeboat: Encrypting ${quote(name)}`, (op) =>
      encryptFile(file, {
        ...op,
        logger: lb.log,
        format: settings.format,
        passphrase: key.passphrase,
        recipients: key.recipients,
        identities: key.identities,
      }),
    );
  } catch (err) {
    if (isCancelled(err)) {
      warnKept(lb, file, 'encrypting it was cancelled');
      return kept;
    }
    const e = err as LifeboatError;
    throw new LifeboatError(
      `The backup ${quote(name)} was made, but encrypting it failed, so it is kept UNENCRYPTED: ${e.message}`,
      e.hint,
      undefined,
      { cause: err, ui: e.ui },
    );
  } finally {
    lb.catalog.invalidate();
  }
  await offerToRemember(lb, key);
  if (result.proof !== 'decrypted') {
    warnKept(
      lb,
      file,
      `no identity file proves that ${basename(result.path)} opens (set lifeboat.encryption.identityFile), so the unencrypted copy stays next to it`,
    );
    return { path: result.path, encrypted: true };
  }
  await removePlaintextCopy(file);
  lb.catalog.invalidate();
  lb.log.info(`Encrypted ${name} to ${basename(result.path)}, proven to decrypt to the same sha256; the unencrypted file was deleted.`);
  return { path: result.path, encrypted: true };
}

function warnKept(lb: Lifeboat, file: string, why: string): void {
  const text = `${basename(file)} is kept UNENCRYPTED: ${why}.`;
  lb.log.warn(text);
  void lb.prompter.warn(text, 'Encrypt Now').then((pick) => {
    if (pick) void vscode.commands.executeCommand('lifeboat.encryptBackup', vscode.Uri.file(file));
  });
}
