import type { HostKeyError } from './hostKeyError';

/** How an SFTP destination logs in and decides about host keys; each front end fills in what it can ask. */
export interface SftpOptions {
  /** `lifeboat.offsite.sftp.identityFile`; unset: ~/.ssh/id_ed25519, then ~/.ssh/id_rsa, as ssh tries them. */
  identityFile?: string;
  /** The ssh-agent socket; default SSH_AUTH_SOCK. */
  agent?: string;
  /** Default ~/.ssh/known_hosts. */
  knownHosts?: string;
  /**
   * Asked when the server's host key is not in known_hosts (never when it changed). True: the key
   * is added to known_hosts and the connection made again. Absent: an unknown key is refused.
   */
  confirmHostKey?: (error: HostKeyError) => Promise<boolean>;
  /** Asked for the passphrase of a protected key; undefined means the user cancelled. Absent: such a key is refused. */
  askPassphrase?: (keyFile: string, again: boolean) => Promise<string | undefined>;
  /** Told after a typed passphrase opened the key and the server let the user in, so it may be remembered. */
  passphraseWorked?: (keyFile: string, passphrase: string) => Promise<void>;
  /** How long the connection and login may take; default 20 s. */
  timeoutMs?: number;
}
