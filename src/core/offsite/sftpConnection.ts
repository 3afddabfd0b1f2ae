import { Client, type SFTPWrapper } from 'ssh2';
import { CancelledError, LifeboatError } from '../common';
import { checkHostKey, fingerprint } from '../docker';
import { HostKeyError } from './hostKeyError';
import { watchChannel } from './sftpChannel';
import { defaultKnownHosts, trustHostKey } from './knownHosts';
import { SftpIdentity, sftpIdentity } from './sftpIdentity';
import type { SftpOptions } from './sftpOptions';
import { SftpTarget, sftpAddress } from './sftpTarget';

// A copy is a run of small requests (check, stat, write, read back, rename, manifest): they share
// one login, which closes this long after the last one so that no process is kept alive by it.
const IDLE_CLOSE_MS = 1000;

interface Session {
  client: Client;
  sftp: SFTPWrapper;
}

/**
 * One SSH connection to the server, opened on first use, shared by the operations that overlap,
 * closed when idle. `acquire()` hands out the SFTP channel and `release()` gives it back.
 */
export class SftpConnection {
  private session?: Promise<Session>;
  private users = 0;
  private idle?: NodeJS.Timeout;
  private client?: Client;

  constructor(
    private readonly target: SftpTarget,
    private readonly opts: SftpOptions,
  ) {}

  async acquire(): Promise<SFTPWrapper> {
    clearTimeout(this.idle);
    this.users++;
    try {
      this.session ??= this.open();
      return (await this.session).sftp;
    } catch (err) {
      this.session = undefined;
      this.release();
      throw err;
    }
  }

  release(): void {
    if (--this.users > 0) return;
    this.users = 0;
    clearTimeout(this.idle);
    this.idle = setTimeout(() => this.close(), IDLE_CLOSE_MS);
    this.idle.unref();
  }

  async use<T>(fn: (sftp: SFTPWrapper) => Promise<T>): Promise<T> {
    const sftp = await this.acquire();
    try {
      return await fn(sftp);
    } finally {
      this.release();
    }
  }

  close(): void {
    clearTimeout(this.idle);
    const session = this.session;
    this.session = undefined;
    void session?.then(
      (s) => s.client.end(),
      () => undefined,
    );
  }

  private async open(): Promise<Session> {
    const identity = await sftpIdentity(this.opts);
    let session: Session;
    try {
      session = await this.login(identity);
    } catch (err) {
      if (!(err instanceof HostKeyError) || err.reason !== 'unknown' || !this.opts.confirmHostKey) throw err;
      // Declining is the user's own choice, shown as nothing, like any cancel.
      if (!(await this.opts.confirmHostKey(err))) throw new CancelledError();
      await trustHostKey(err.host, err.port, err.keyBlob, err.knownHosts);
      session = await this.login(identity);
    }
    if (identity.typed && identity.keyFile && identity.passphrase !== undefined) {
      await this.opts.passphraseWorked?.(identity.keyFile, identity.passphrase);
    }
    return session;
  }

  private login(identity: SftpIdentity): Promise<Session> {
    const { host, port, user } = this.target;
    const knownHosts = this.opts.knownHosts ?? defaultKnownHosts();
    let refused: HostKeyError | undefined;
    const client = new Client();
    return new Promise<Session>((resolve, reject) => {
      let settled = false;
      const fail = (err: unknown) => {
        if (settled) return;
        settled = true;
        client.end();
        reject(refused ?? (err instanceof LifeboatError ? err : loginError(err, this.target, identity)));
      };
      // `on`, not `once`: after a timeout ssh2 reports the socket's end as a second error, which must not go uncaught.
      client.on('error', fail);
      client.once('close', () => fail(new Error('The server closed the connection.')));
      client.once('ready', () => {
        client.sftp((err, sftp) => {
          if (err) return fail(noSftpError(err, this.target));
          settled = true;
          watchChannel(sftp, client);
          // Later failures end this session; the next operation logs in again.
          client.removeAllListeners('error');
          client.on('error', () => undefined);
          client.once('close', () => {
            if (this.client === client) {
              this.client = undefined;
              this.session = undefined;
            }
          });
          this.client = client;
          resolve({ client, sftp });
        });
      });
      client.connect({
        host,
        port,
        username: user,
        privateKey: identity.privateKey,
        passphrase: identity.passphrase,
        agent: identity.agent,
        readyTimeout: this.opts.timeoutMs ?? 20_000,
        // Like ssh with StrictHostKeyChecking: known_hosts decides; ssh2 alone would accept any key.
        hostVerifier: (key: Buffer) => {
          const verdict = checkHostKey(host, port, key, knownHosts);
          if (!verdict.ok) refused = new HostKeyError(verdict.reason, host, port, fingerprint(key), key, knownHosts);
          return verdict.ok;
        },
      });
    });
  }
}

const SOCKET_ERRORS: Record<string, string> = {
  ECONNREFUSED: 'nothing is listening there',
  ENOTFOUND: 'no such host',
  EAI_AGAIN: 'the host name could not be looked up',
  EHOSTUNREACH: 'the host cannot be reached',
  ENETUNREACH: 'the network cannot be reached',
  ETIMEDOUT: 'no answer in time',
  ECONNRESET: 'the connection was dropped',
};

/**
 * The login worked but the server offers no file transfer (ssh2: "Unable to start subsystem:
 * sftp"): a "Cannot reach" would send the user checking a network that is fine.
 */
function noSftpError(err: Error, target: SftpTarget): LifeboatError {
  return new LifeboatError(
    `The SSH server ${target.host}:${target.port} let "${target.user}" log in but offers no SFTP (${sftpAddress(target)}): ${err.message}.`,
    'Enable SFTP on the server (for OpenSSH: "Subsystem sftp internal-sftp" in sshd_config, then reload sshd), or choose another destination.',
    undefined,
    { cause: err },
  );
}

/** A failed login said in words: which server, what went wrong, what to change. */
function loginError(err: unknown, target: SftpTarget, identity: SftpIdentity): LifeboatError {
  const e = err as NodeJS.ErrnoException & { level?: string };
  const where = sftpAddress(target);
  if (e?.level === 'client-authentication') {
    const offered = [identity.keyFile && `the key ${identity.keyFile}`, identity.agent && 'the keys in ssh-agent']
      .filter(Boolean)
      .join(' and ');
    return new LifeboatError(
      `The SFTP server ${target.host} refused the login of "${target.user}" with ${offered} (${where}).`,
      `Add the public key${identity.keyFile ? ` (${identity.keyFile}.pub)` : ''} to ~/.ssh/authorized_keys of "${target.user}" on ${target.host}, or set lifeboat.offsite.sftp.identityFile to the key the server accepts.`,
      undefined,
      { cause: err },
    );
  }
  const reason =
    e?.level === 'client-timeout'
      ? 'no answer in time'
      : e?.code && SOCKET_ERRORS[e.code]
        ? `${SOCKET_ERRORS[e.code]} (${e.code})`
        : (e?.message ?? String(err));
  return new LifeboatError(
    `Cannot reach the SFTP server ${target.host}:${target.port} (${where}): ${reason}.`,
    'Check that the server is on and reachable from here, and that lifeboat.offsite.destination names the right host and port.',
    undefined,
    { cause: err },
  );
}
