import * as path from 'node:path';
import { passphraseStrength } from '../core/encryption';
import type { KeyProvider, DecryptKey, EncryptedFileInfo } from '../core/encryption';
import * as vscode from 'vscode';
import { parseAgeIdentityFile, parseAgeRecipient, CryptoError, readKeyFile } from '../core/crypto';
import type { CryptoError as CryptoErrorType } from '../core/crypto';
import type { Encryption } from '../core/store';
import type { Lifeboat } from './lifeboat';
import type { SavedSecret } from './savedSecretIndex';
import { SavedSecrets, secretScope } from './savedSecrets';
import { formatCountOf } from '../core/common';

/**
 * Where the keys of encrypted backups come from (contract 8 in docs/contracts.md): a key file (the
 * runbook's `/secrets/backup_key`, refused when group or others can read it), an age identity file,
 * the OS keychain through VS Code's SecretStorage, or a password box. Settings hold only paths and
 * public recipients; no passphrase ever goes into settings, logs, manifests or error messages.
 */
export interface EncryptionSettings {
  format: Encryption;
  /** age X25519 recipients (`age1…`): public keys. */
  recipients: string[];
  /** Absolute path of an age identity file (for decrypting and for proving recipient files). */
  identityFile?: string;
  /** Absolute path of a passphrase key file. */
  keyFile?: string;
  /** Encrypt every backup made from VS Code once it is verified. */
  encryptNewBackups: boolean;
}

export function encryptionSettings(folder: vscode.WorkspaceFolder | undefined): EncryptionSettings {
  const config = vscode.workspace.getConfiguration('lifeboat.encryption', folder?.uri);
  const file = (key: string): string | undefined => {
    const value = (config.get<string>(key) ?? '').trim();
    if (!value) return undefined;
    const expanded = value.startsWith('~/') ? path.join(process.env.HOME ?? '', value.slice(2)) : value;
    return path.isAbsolute(expanded) ? expanded : path.join(folder?.uri.fsPath ?? process.cwd(), expanded);
  };
  return {
    format: config.get<string>('format') === 'openssl' ? 'openssl' : 'age',
    recipients: (config.get<string[]>('recipients') ?? []).map((r) => r.trim()).filter(Boolean),
    identityFile: file('identityFile'),
    keyFile: file('keyFile'),
    encryptNewBackups: config.get<boolean>('encryptNewBackups') === true,
  };
}

/** The passphrase remembered for one workspace in the OS keychain (VS Code's SecretStorage). */
export class PassphraseStore {
  private readonly saved: SavedSecrets;

  constructor(
    secrets: vscode.SecretStorage,
    private readonly scope: string,
  ) {
    this.saved = new SavedSecrets(secrets);
  }

  static of(lb: Lifeboat): PassphraseStore {
    return new PassphraseStore(lb.context.secrets, secretScope(lb.stacks.folder));
  }

  /** The SecretStorage key: one per workspace folder. */
  get key(): string {
    return `lifeboat.passphrase/${this.scope}`;
  }

  /** How the keychain's list of saved secrets names it. */
  get entry(): SavedSecret {
    return { slot: this.key, label: 'The passphrase of encrypted backups', scope: this.scope };
  }

  async get(): Promise<string | undefined> {
    return this.saved.get(this.key);
  }

  async store(passphrase: string): Promise<void> {
    await this.saved.store(this.entry, passphrase);
  }

  /** Resolves true when a passphrase was saved. */
  async forget(): Promise<boolean> {
    return (await this.saved.forget([this.key])).length > 0;
  }
}

export type KeySource = 'keyFile' | 'identityFile' | 'recipients' | 'saved' | 'typed';

/** A key for one operation, and where it came from (for messages; never the key itself). */
export interface ChosenKey {
  source: KeySource;
  passphrase?: string | Uint8Array;
  recipients?: string[];
  identities?: ReturnType<typeof parseAgeIdentityFile>;
  /** Set once the user was asked whether to remember this typed passphrase. */
  offered?: boolean;
  /** Human words for the log and messages, e.g. "the key file /secrets/backup_key". */
  describe: string;
}

async function readIdentities(file: string): Promise<ChosenKey['identities']> {
  const bytes = await readKeyFile(file);
  try {
    return parseAgeIdentityFile(bytes.toString('utf8'), `the identity file ${file}`);
  } finally {
    bytes.fill(0);
  }
}

async function typed(lb: Lifeboat, prompt: string, choosing: boolean): Promise<ChosenKey | undefined> {
  for (;;) {
    const passphrase = await lb.prompter.askPassphrase(prompt, { confirm: choosing });
    if (!passphrase) return undefined;
    // Only a new passphrase is judged: one that opens an existing file is what it is.
    const strength = choosing ? passphraseStrength(passphrase) : undefined;
    if (strength?.weak) {
      const detail = `${strength.reason}\n\nAnyone who gets the encrypted file can try passphrases offline for as long as they like; a short or patterned one falls quickly.`;
      if ((await lb.prompter.confirm('Use this weak passphrase?', detail, 'Use Anyway', 'Choose Another')) !== 'Use Anyway') continue;
      lb.log.warn('A weak passphrase was used anyway (the user chose "Use Anyway").');
    }
    return { source: 'typed', passphrase, describe: 'the passphrase you typed' };
  }
}

/**
 * The key to encrypt with: age recipients from the settings, else the key file, else the saved
 * passphrase, else a passphrase typed twice. Undefined when the user dismissed the question.
 */
export async function encryptionKey(lb: Lifeboat, settings: EncryptionSettings, fileName: string): Promise<ChosenKey | undefined> {
  if (settings.format === 'age' && settings.recipients.length) {
    settings.recipients.forEach(parseAgeRecipient);
    const identities = settings.identityFile ? await readIdentities(settings.identityFile) : undefined;
    return {
      source: 'recipients',
      recipients: settings.recipients,
      identities,
      describe: `${formatCountOf(settings.recipients.length, 'age recipient')} from the settings`,
    };
  }
  if (settings.keyFile)
    return { source: 'keyFile', passphrase: await readKeyFile(settings.keyFile), describe: `the key file ${settings.keyFile}` };
  const saved = await PassphraseStore.of(lb).get();
  if (saved) return { source: 'saved', passphrase: saved, describe: 'the passphrase saved in the OS keychain' };
  return typed(lb, `Choose a passphrase for ${fileName}. Without it, this backup cannot be restored.`, true);
}

/**
 * The key to decrypt a file with: for a passphrase file the key file, else the saved
 * passphrase, else a typed one (`askFirst` skips to typing, after a saved one did not fit);
 * for an age recipient file the identity file.
 */
export async function decryptionKey(
  lb: Lifeboat,
  settings: EncryptionSettings,
  info: EncryptedFileInfo,
  fileName: string,
  askFirst = false,
): Promise<ChosenKey | undefined> {
  if (info.needs === 'identity') {
    if (!settings.identityFile) {
      throw new CryptoError(
        'bad-key',
        `"${fileName}" was encrypted to age recipients (public keys) and opens only with an identity file`,
        'Set lifeboat.encryption.identityFile to the file made by `age-keygen` (mode 600).',
      );
    }
    return {
      source: 'identityFile',
      identities: await readIdentities(settings.identityFile),
      describe: `the identity file ${settings.identityFile}`,
    };
  }
  if (!askFirst) {
    if (settings.keyFile)
      return { source: 'keyFile', passphrase: await readKeyFile(settings.keyFile), describe: `the key file ${settings.keyFile}` };
    const saved = await PassphraseStore.of(lb).get();
    if (saved) return { source: 'saved', passphrase: saved, describe: 'the passphrase saved in the OS keychain' };
  }
  return typed(lb, askFirst ? `The saved passphrase does not open ${fileName}. Type its passphrase.` : `Passphrase of ${fileName}`, false);
}

export function asDecryptKey(key: ChosenKey): DecryptKey {
  if (key.identities) return { identities: key.identities };
  return { passphrase: key.passphrase! };
}

/**
 * Asks whether to keep a typed passphrase in the OS keychain, once it has proven itself
 * (the file was encrypted and read back, or it opened a file): a mistyped passphrase is never
 * offered. Keeping it is never the default: the first choice, which Enter takes, does not.
 */
export async function offerToRemember(lb: Lifeboat, key: ChosenKey): Promise<void> {
  if (key.source !== 'typed' || key.offered || typeof key.passphrase !== 'string') return;
  key.offered = true;
  const remember = await lb.prompter.pick(
    [
      { label: 'Use it this time only', description: 'you will be asked again next time', value: false },
      {
        label: '$(key) Remember in the OS keychain',
        description: 'for this workspace; "Lifeboat: Forget Saved Passphrase" removes it',
        value: true,
      },
    ],
    'Remember this passphrase?',
  );
  if (remember !== true) return;
  await PassphraseStore.of(lb).store(key.passphrase);
  lb.log.info('The passphrase was saved in the OS keychain for this workspace.');
}

/**
 * The keys of encrypted backups for one command run (verify, restore, verify all): from the
 * same places as Decrypt Backup. A saved passphrase that does not fit is followed by a password
 * box; a key that opened one file is tried first on the next, so a run over many files asks once.
 */
export function backupKeys(lb: Lifeboat): KeyProvider {
  const settings = encryptionSettings(lb.stacks.folder);
  let chosen: ChosenKey | undefined;
  let lastGood: ChosenKey | undefined;
  return {
    async key(file: string, info: EncryptedFileInfo, failed?: CryptoErrorType) {
      const name = path.basename(file);
      const reused = chosen !== undefined && chosen === lastGood;
      if (!failed && lastGood && (info.needs === 'identity') === !!lastGood.identities) {
        chosen = lastGood;
      } else if (!failed || reused) {
        chosen = await decryptionKey(lb, settings, info, name);
      } else if (chosen?.source === 'saved') {
        lb.log.info(`The saved passphrase does not open ${name}; asking for its passphrase.`);
        chosen = await decryptionKey(lb, settings, info, name, true);
      } else {
        throw failed;
      }
      if (chosen) lb.log.info(`Reading ${name} with ${chosen.describe}`);
      return chosen && asDecryptKey(chosen);
    },
    async opened() {
      if (!chosen) return;
      lastGood = chosen;
      // Not awaited: the operation that opened the file goes on while the question waits.
      void offerToRemember(lb, chosen).catch((err) => lb.log.warn(`The passphrase was not saved: ${(err as Error).message}`));
    },
  };
}
