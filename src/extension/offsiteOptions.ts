import * as vscode from 'vscode';
import { LifeboatError, type Logger } from '../core/common';
import type { DestinationOptions, HostKeyError, S3BackendOptions } from '../core/offsite';
import type { Lifeboat } from './lifeboat';
import type { SavedSecret } from './savedSecretIndex';
import { SavedSecrets, secretScope } from './savedSecrets';
import { S3KeyStore } from './s3KeyStore';
import type { Prompter } from './ui/prompter';

/** What the off-site destination needs from VS Code: the key setting, the keychain, and a way to ask. */
export interface OffsiteDeps {
  secrets: vscode.SecretStorage;
  identityFile: string | undefined;
  /** `lifeboat.offsite.s3.*`. */
  s3?: S3BackendOptions;
  /** The workspace whose saved S3 keys are used (secretScope). */
  scope: string;
  log: Logger;
  /** Absent for work nobody started by hand (the tree's listing): it then never asks anything. */
  prompter?: Prompter;
}

/**
 * The destination options of the extension. An unknown SFTP host key is shown as its
 * fingerprint in a modal whose default is Cancel; a changed one never gets that far (core
 * refuses it). A key's passphrase comes from the OS keychain, or is asked for and kept there
 * once the server accepted it. S3 keys saved for the destination ("Set Off-site S3 Keys") come
 * before the AWS chain.
 */
export function offsiteOptions(deps: OffsiteDeps): DestinationOptions {
  const { secrets, log, prompter } = deps;
  const saved = new SavedSecrets(secrets);
  const slot = (keyFile: string) => sshPassphraseEntry(keyFile).slot;
  const s3Keys = new S3KeyStore(saved, deps.scope);
  return {
    s3: { ...deps.s3, savedKeys: (where) => s3Keys.get(where), logger: log },
    sftp: {
      identityFile: deps.identityFile,
      confirmHostKey: prompter ? (err) => confirmHostKey(prompter, err) : undefined,
      askPassphrase: async (keyFile, again) => {
        if (!again) {
          const saved = await secrets.get(slot(keyFile));
          if (saved) return saved;
        } else {
          await saved.forget([slot(keyFile)]);
        }
        if (!prompter) {
          throw new LifeboatError(
            `The SSH key ${keyFile} is protected by a passphrase that is not saved yet.`,
            'Run "Lifeboat: Copy Off-site" once and type it (it is then kept in the OS keychain), or load the key into ssh-agent (ssh-add).',
          );
        }
        return prompter.askPassphrase(
          again
            ? `That passphrase does not open ${keyFile}. Type it again.`
            : `The passphrase of the SSH key ${keyFile}, to log in to the SFTP server.`,
          { confirm: false },
        );
      },
      passphraseWorked: async (keyFile, passphrase) => {
        if ((await secrets.get(slot(keyFile))) === passphrase) return;
        await saved.store(sshPassphraseEntry(keyFile), passphrase);
        log.info(`The passphrase of ${keyFile} opened it and the SFTP server accepted the key; it is kept in the OS keychain.`);
      },
    },
  };
}

/** The options of a command the user ran: it may ask about a host key or a key's passphrase. */
export function commandOffsiteOptions(lb: Lifeboat): DestinationOptions {
  return offsiteOptions({
    secrets: lb.context.secrets,
    identityFile: lb.stacks.settings.offsiteSftpIdentityFile,
    s3: lb.stacks.settings.offsiteS3,
    scope: secretScope(lb.stacks.folder),
    log: lb.log,
    prompter: lb.prompter,
  });
}

/** The keychain slot of an SSH key's passphrase: one per key file, for every workspace. */
export function sshPassphraseEntry(keyFile: string): SavedSecret {
  return { slot: `lifeboat.sshKeyPassphrase/${keyFile}`, label: `The passphrase of the SSH key ${keyFile}` };
}

async function confirmHostKey(prompter: Prompter, err: HostKeyError): Promise<boolean> {
  const chosen = await prompter.confirm(
    `The SFTP server ${err.port === 22 ? err.host : `${err.host}:${err.port}`} is not known yet. Trust its host key?`,
    `Its host key is not in ${err.knownHosts}, so Lifeboat cannot tell this server from one that pretends to be it.\n\nFingerprint: ${err.fingerprint}\n\nCompare it with the one the server's administrator gives you (on the server: ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub). "Trust and Continue" adds the key to known_hosts, where ssh trusts it too.`,
    'Trust and Continue',
    'Cancel',
  );
  return chosen === 'Trust and Continue';
}
