import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import type { SFTPWrapper, Stats } from 'ssh2';
import { CancelledError, LifeboatError } from '../common';
import { partialName } from '../store';
import type { Destination, PendingWrite, RemoteEntry } from './destination';
import { sftpRequest } from './sftpChannel';
import { SftpConnection } from './sftpConnection';
import type { SftpOptions } from './sftpOptions';
import { SftpReadStream } from './sftpReadStream';
import { SftpTarget, sftpAddress } from './sftpTarget';
import { SftpWriteStream } from './sftpWriteStream';

// SFTP status codes (draft-ietf-secsh-filexfer-02, the version OpenSSH speaks).
const NO_SUCH_FILE = 2;
const PERMISSION_DENIED = 3;

type SftpError = Error & { code?: number | string };

/**
 * A folder on an SFTP server (a NAS, a second server). Writes go to `.<name>.partial` beside
 * the final name, are read back over the same connection, and are renamed into place with
 * posix-rename@openssh.com (atomic, replacing) when the server offers it. The host key is
 * checked against known_hosts; the login uses a key file or ssh-agent (SftpOptions).
 */
export class SftpDestination implements Destination {
  private readonly connection: SftpConnection;

  constructor(
    readonly target: SftpTarget,
    opts: SftpOptions = {},
  ) {
    this.connection = new SftpConnection(target, opts);
  }

  describe(): string {
    return `the SFTP folder ${sftpAddress(this.target)}`;
  }

  /** Logs in and checks that the folder exists; like the folder destination, it is never created. */
  async check(): Promise<void> {
    const root = this.target.root;
    const st = await this.connection
      .use((sftp) => statOf(sftp, root))
      .catch((err: SftpError) => {
        throw this.error(err, 'open the off-site folder', root);
      });
    if (!st) {
      throw new LifeboatError(
        `The folder ${root} does not exist on the SFTP server ${this.target.host}.`,
        `Create it on the server (mkdir -p ${root}, writable by "${this.target.user}"), or correct the setting lifeboat.offsite.destination. Lifeboat does not create it, so that a wrong path is not filled in unnoticed.`,
      );
    }
    if (!st.isDirectory()) {
      throw new LifeboatError(
        `${root} on the SFTP server ${this.target.host} is not a folder.`,
        'Correct the setting lifeboat.offsite.destination.',
      );
    }
  }

  async list(prefix: string): Promise<RemoteEntry[]> {
    const dir = this.full(prefix || '.');
    return this.connection.use(async (sftp) => {
      const entries = await sftpRequest<{ filename: string; attrs: Stats }[]>(sftp, (done) => sftp.readdir(dir, done)).catch(
        (err: SftpError) => {
          if (err.code === NO_SUCH_FILE) return [];
          throw this.error(err, 'list the off-site folder', dir);
        },
      );
      return entries
        .filter((e) => !e.filename.startsWith('.') && e.attrs.isFile())
        .map((e) => ({
          path: prefix ? posix.join(prefix, e.filename) : e.filename,
          bytes: e.attrs.size,
          modified: new Date(e.attrs.mtime * 1000),
        }));
    });
  }

  async stat(path: string): Promise<RemoteEntry | undefined> {
    const full = this.full(path);
    const st = await this.connection
      .use((sftp) => statOf(sftp, full))
      .catch((err: SftpError) => {
        throw this.error(err, 'read the off-site folder', full);
      });
    return st?.isFile() ? { path, bytes: st.size, modified: new Date(st.mtime * 1000) } : undefined;
  }

  async read(path: string): Promise<Readable> {
    const full = this.full(path);
    const sftp = await this.connection.acquire();
    return SftpReadStream.open(sftp, full, () => this.connection.release()).catch((err: SftpError) => {
      this.connection.release();
      throw this.error(err, 'read the off-site copy', full);
    });
  }

  async write(path: string): Promise<PendingWrite> {
    const final = this.full(path);
    const dir = posix.dirname(final);
    const partial = posix.join(dir, partialName(posix.basename(final)));
    const sftp = await this.connection.acquire();
    let held = true;
    const release = () => {
      if (held) this.connection.release();
      held = false;
    };
    let stream: SftpWriteStream;
    try {
      await this.makeFolders(sftp, dir);
      // Truncating, not exclusive: a partial left by a killed run is ours to replace, it never counted.
      stream = await SftpWriteStream.open(sftp, partial).catch((err: SftpError) => {
        throw this.error(err, 'write the off-site copy', partial);
      });
    } catch (err) {
      release();
      throw err;
    }
    let done = false;
    return {
      stream,
      readBack: async () => {
        // The pending write holds the connection until commit or abort; the read back needs no hold of its own.
        return SftpReadStream.open(sftp, partial, () => undefined).catch((err: SftpError) => {
          throw this.error(err, 'read back the off-site copy', partial);
        });
      },
      commit: async () => {
        await rename(sftp, partial, final).catch((err: SftpError) => {
          throw this.error(err, 'give the off-site copy its final name', final);
        });
        done = true;
        release();
      },
      abort: async () => {
        if (done || !held) return;
        stream.destroy();
        await unlink(sftp, partial).catch(() => undefined);
        release();
      },
    };
  }

  async remove(path: string): Promise<void> {
    const full = this.full(path);
    await this.connection
      .use((sftp) => unlink(sftp, full))
      .catch((err: SftpError) => {
        if (err.code === NO_SUCH_FILE) return;
        throw this.error(err, 'remove the off-site copy', full);
      });
  }

  private full(path: string): string {
    const clean = posix.normalize(path);
    if (clean.startsWith('../') || clean === '..' || posix.isAbsolute(clean)) {
      throw new LifeboatError(`The off-site path "${path}" leaves the destination folder.`, 'This is a bug in Lifeboat; please report it.');
    }
    return clean === '.' ? this.target.root : posix.join(this.target.root, clean);
  }

  /** The folders between the root (which must exist) and `dir`, made private when missing. */
  private async makeFolders(sftp: SFTPWrapper, dir: string): Promise<void> {
    const inside = posix.relative(this.target.root, dir);
    let at = this.target.root;
    for (const part of inside ? inside.split('/') : []) {
      at = posix.join(at, part);
      const st = await statOf(sftp, at).catch((err: SftpError) => {
        throw this.error(err, 'create the off-site folder', at);
      });
      if (st?.isDirectory()) continue;
      // SFTP answers a mkdir over a file with a bare "Failure": say what is in the way.
      if (st) {
        throw new LifeboatError(
          `Cannot create the off-site folder ${at} on the SFTP server ${this.target.host}: a file of that name is in the way.`,
          'Move or remove that file on the server, or point lifeboat.offsite.destination at another folder.',
        );
      }
      await sftpRequest(sftp, (done) => sftp.mkdir(at, { mode: 0o700 }, done)).catch((err: SftpError) => {
        throw this.error(err, 'create the off-site folder', at);
      });
    }
  }

  /** An SFTP failure said with the server, the path and the setting to look at. */
  private error(err: SftpError, action: string, path: string): Error {
    // Already said (a refused login, a host key) or the user's own cancel (the host-key question).
    if (err instanceof LifeboatError || err instanceof CancelledError) return err;
    const on = `on the SFTP server ${this.target.host}`;
    if (err.code === PERMISSION_DENIED) {
      return new LifeboatError(
        `Cannot ${action}: permission denied for "${this.target.user}" at ${path} ${on}.`,
        `Make ${this.target.root} writable by "${this.target.user}" on the server, or point lifeboat.offsite.destination at a folder that is.`,
        undefined,
        { cause: err },
      );
    }
    if (err.code === NO_SUCH_FILE) {
      return new LifeboatError(
        `Cannot ${action}: ${path} does not exist ${on}.`,
        'Check the setting lifeboat.offsite.destination.',
        undefined,
        {
          cause: err,
        },
      );
    }
    return new LifeboatError(
      `Cannot ${action} (${path} ${on}): ${err.message}.`,
      'Check that the server is reachable and its disk has free space, then retry.',
      undefined,
      { cause: err },
    );
  }
}

function statOf(sftp: SFTPWrapper, path: string): Promise<Stats | undefined> {
  return sftpRequest<Stats>(sftp, (done) => sftp.stat(path, done)).catch((err: SftpError) => {
    if (err.code === NO_SUCH_FILE) return undefined;
    throw err;
  });
}

function unlink(sftp: SFTPWrapper, path: string): Promise<void> {
  return sftpRequest(sftp, (done) => sftp.unlink(path, done));
}

/** Atomic and replacing with OpenSSH's posix-rename; plain SFTP rename refuses an existing target, so it goes first. */
async function rename(sftp: SFTPWrapper, from: string, to: string): Promise<void> {
  try {
    await sftpRequest(sftp, (done) => sftp.ext_openssh_rename(from, to, done));
    return;
  } catch (err) {
    if (!/does not support/i.test((err as Error).message)) throw err;
  }
  await unlink(sftp, to).catch((err: SftpError) => {
    if (err.code !== NO_SUCH_FILE) throw err;
  });
  await sftpRequest(sftp, (done) => sftp.rename(from, to, done));
}
