import { homedir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { S3Destination, parseDestination } from '../../core/offsite';
import type { Lifeboat } from '../lifeboat';
import { sshPassphraseEntry } from '../offsiteOptions';
import type { SavedSecret } from '../savedSecretIndex';
import { SavedSecrets, secretScope } from '../savedSecrets';
import { S3KeyStore } from '../s3KeyStore';
import { PassphraseStore } from '../secrets';

/**
 * "Lifeboat: Forget Saved Passphrase": lists what this workspace keeps in the OS keychain (the
 * backup passphrase, SSH key passphrases, S3 keys), none ticked, and removes what the user
 * ticks. With the argument "passphrase" (tests, scripts) it removes the backup passphrase
 * without asking. Resolves true when something was removed.
 */
export async function forgetPassphrase(lb: Lifeboat, arg?: unknown): Promise<boolean> {
  const passphrase = PassphraseStore.of(lb);
  if (arg === 'passphrase') {
    const had = await passphrase.forget();
    if (had) lb.log.info('The saved passphrase was removed from the OS keychain.');
    void vscode.window.showInformationMessage(
      had ? 'Lifeboat forgot the saved passphrase of this workspace.' : 'No passphrase was saved for this workspace.',
    );
    return had;
  }

  const saved = new SavedSecrets(lb.context.secrets);
  const entries = await saved.list(secretScope(lb.stacks.folder), [passphrase.entry, ...knownEntries(lb, saved)]);
  if (!entries.length) {
    void vscode.window.showInformationMessage(
      'Nothing is saved in the OS keychain for this workspace: no backup passphrase, SSH key passphrase or S3 keys.',
    );
    return false;
  }
  const chosen = await lb.prompter.pickMany(
    entries.map((e) => ({ label: e.label, description: e.scope ? 'this workspace' : 'every workspace', value: e, picked: false })),
    'Tick what to remove from the OS keychain, then press Enter',
  );
  if (!chosen?.length) return false;
  const gone = new Set(await saved.forget(chosen.map((e) => e.slot)));
  const labels = chosen.filter((e) => gone.has(e.slot)).map((e) => e.label);
  if (!labels.length) return false;
  lb.log.info(`Removed from the OS keychain: ${labels.join('; ')}.`);
  // The Off-site group was listed with the keys just removed.
  lb.catalog.invalidate();
  void vscode.window.showInformationMessage(`Lifeboat forgot ${labels.map(lowerFirst).join('; ')}.`);
  return true;
}

/** Slots that can be named without the index (saved before it existed): this destination's S3 keys, the SSH keys ssh would use. */
function knownEntries(lb: Lifeboat, saved: SavedSecrets): SavedSecret[] {
  const settings = lb.stacks.settings;
  const out: SavedSecret[] = [];
  try {
    const destination = parseDestination(settings.offsiteDestination, { s3: settings.offsiteS3 });
    if (destination instanceof S3Destination) out.push(new S3KeyStore(saved, secretScope(lb.stacks.folder)).entry(destination.describe()));
  } catch {
    // A destination setting that does not parse has no keys of its own; the index still lists older ones.
  }
  const keyFiles = settings.offsiteSftpIdentityFile
    ? [settings.offsiteSftpIdentityFile]
    : ['id_ed25519', 'id_rsa'].map((n) => join(homedir(), '.ssh', n));
  return [...out, ...keyFiles.map(sshPassphraseEntry)];
}

function lowerFirst(label: string): string {
  return /^The /.test(label) ? `t${label.slice(1)}` : label;
}
