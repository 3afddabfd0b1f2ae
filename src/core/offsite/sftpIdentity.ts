import { promises as fs } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { utils } from 'ssh2';
import { CancelledError, LifeboatError } from '../common';
import type { SftpOptions } from './sftpOptions';

/** What the login offers: a key (with its passphrase when it has one) and/or the agent. */
export interface SftpIdentity {
  keyFile?: string;
  privateKey?: Buffer;
  passphrase?: string;
  /** Set when the passphrase was typed (not needed otherwise), so it can be remembered once it worked. */
  typed?: boolean;
  agent?: string;
}

/**
 * The key file and agent to log in with, as ssh would pick them: the configured identity file,
 * else ~/.ssh/id_ed25519 then ~/.ssh/id_rsa, plus ssh-agent when SSH_AUTH_SOCK is set. A key
 * with a passphrase is opened with one asked for, or left to the agent (which holds it when
 * the user ran ssh-add), or refused with the way out.
 */
export async function sftpIdentity(opts: SftpOptions): Promise<SftpIdentity> {
  const agent = opts.agent ?? process.env.SSH_AUTH_SOCK ?? undefined;
  const candidates = opts.identityFile ? [opts.identityFile] : ['id_ed25519', 'id_rsa'].map((n) => join(homedir(), '.ssh', n));
  let keyFile: string | undefined;
  let privateKey: Buffer | undefined;
  for (const file of candidates) {
    try {
      privateKey = await fs.readFile(file);
      keyFile = file;
      break;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (opts.identityFile || (code !== 'ENOENT' && code !== 'ENOTDIR')) {
        throw new LifeboatError(
          `Cannot read the SSH key ${file} (${code ?? (err as Error).message}).`,
          'Correct the setting lifeboat.offsite.sftp.identityFile, or make the key readable by you.',
        );
      }
    }
  }
  if (!keyFile || !privateKey) {
    if (agent) return { agent };
    throw new LifeboatError(
      // Only the two defaults get here: a configured key that is missing was refused above.
      `No SSH key to log in to the SFTP server with: ${candidates.join(' and ')} do not exist and no ssh-agent runs (SSH_AUTH_SOCK is not set).`,
      "Make a key with ssh-keygen -t ed25519 and add its .pub to the server's authorized_keys, or set lifeboat.offsite.sftp.identityFile to the key the server accepts.",
    );
  }
  const parsed = utils.parseKey(privateKey);
  if (!(parsed instanceof Error)) return { keyFile, privateKey, agent };
  if (!/passphrase|encrypted/i.test(parsed.message)) {
    throw new LifeboatError(
      `${keyFile} is not an SSH private key Lifeboat can read (${parsed.message}).`,
      'Set lifeboat.offsite.sftp.identityFile to an OpenSSH private key (ed25519, ECDSA or RSA).',
    );
  }
  // The agent holds the unlocked key when the user ran ssh-add, as ssh itself would use it.
  if (agent) return { agent };
  if (!opts.askPassphrase) {
    throw new LifeboatError(
      `The SSH key ${keyFile} is protected by a passphrase, and there is no way to ask for it here.`,
      `Load the key into ssh-agent (ssh-add ${keyFile}) and make sure SSH_AUTH_SOCK is set where Lifeboat runs, or set lifeboat.offsite.sftp.identityFile to a key kept for backups without a passphrase.`,
    );
  }
  for (let again = false; ; again = true) {
    const passphrase = await opts.askPassphrase(keyFile, again);
    if (passphrase === undefined) throw new CancelledError();
    if (!(utils.parseKey(privateKey, passphrase) instanceof Error)) return { keyFile, privateKey, passphrase, typed: true };
  }
}
