import { promises as fs } from 'node:fs';
import { basename } from 'node:path';
import * as vscode from 'vscode';
import { quote } from '../../core/reports';
import { CryptoError } from '../../core/crypto';
import { decryptFile, describeEncryptedFile, plaintextPathOf } from '../../core/encryption';
import { LifeboatError, formatBytes } from '../../core/common';
import type { Lifeboat } from '../lifeboat';
import { runWithProgress } from '../ui/runWithProgress';
import { ChosenKey, asDecryptKey, decryptionKey, encryptionSettings, offerToRemember } from '../secrets';
import { backupTarget } from './backupTarget';
import { pickBackup } from './pickBackup';

/**
 * "Lifeboat: Decrypt Backup…": writes the plaintext next to the encrypted file (`x.sql.gz.age`
 * → `x.sql.gz`), checked against the manifest's sha256. An existing plaintext is replaced only
 * after a modal. A saved passphrase that does not fit is followed by a password box, once.
 * Resolves to the plaintext's path.
 */
export async function decryptBackup(lb: Lifeboat, arg?: unknown): Promise<string | undefined> {
  const file = arg ? backupTarget(arg).fsPath : await pickBackup(lb, 'Choose the encrypted backup to decrypt', (e) => !!e.encryption);
  if (!file) return undefined;
  const name = basename(file);
  const dest = plaintextPathOf(file);
  if (!dest) throw new LifeboatError(`${quote(name)} does not end in .age or .enc.`, 'Choose an encrypted backup.');
  const info = await describeEncryptedFile(file);

  let overwrite = false;
  const existing = await fs.stat(dest).catch(() => undefined);
  if (existing) {
    const choice = await lb.prompter.confirm(
      `Replace ${quote(basename(dest))}?`,
      `${quote(basename(dest))} already exists (${formatBytes(existing.size)}). Decrypting ${quote(name)} replaces it and its manifest with the decrypted copy, once that is complete and checked.`,
      'Replace',
      'Keep Existing',
    );
    if (choice !== 'Replace') return undefined;
    overwrite = true;
  }

  const settings = encryptionSettings(lb.stacks.folder);
  let key = await decryptionKey(lb, settings, info, name);
  if (!key) return undefined;
  let result;
  try {
    result = await run(lb, file, key, overwrite);
  } catch (err) {
    if (!(err instanceof CryptoError && err.code === 'wrong-key' && key.source === 'saved')) throw err;
    lb.log.info(`The saved passphrase does not open ${name}; asking for its passphrase.`);
    key = await decryptionKey(lb, settings, info, name, true);
    if (!key) return undefined;
    result = await run(lb, file, key, overwrite);
  }
  await offerToRemember(lb, key);
  lb.catalog.invalidate();
  void vscode.window.showInformationMessage(
    `Decrypted ${quote(name)} to ${quote(basename(result.path))} (${formatBytes(result.bytes)}${result.checkedAgainstManifest ? ', sha256 matches the manifest' : ', no manifest to compare with'}).`,
  );
  return result.path;
}

function run(lb: Lifeboat, file: string, key: ChosenKey, overwrite: boolean) {
  lb.log.info(`Decrypting ${file} with ${key.describe}`);
  return runWithProgress(`Lifeboat: Decrypting ${quote(basename(file))}`, (op) =>
    decryptFile(file, { ...op, logger: lb.log, key: asDecryptKey(key), overwrite }),
  );
}
