// The SSH server of the SFTP destination's tests and bench: a plain user of its own, sftp built
// into sshd, and a folder of that user's to copy into.
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { run } from './harness';
import { SshServer, startSshServer } from './sshServer';

const SFTP_USER = 'lifeboat-sftp';

export interface SftpServer extends SshServer {
  /** The folder the tests copy into, owned by `user`. */
  remote: string;
}

/** `sftp: false` leaves out the SFTP subsystem: an SSH server that logs in but offers no file transfer. */
export async function startSftpServer(opts: { sftp?: boolean } = {}): Promise<SftpServer> {
  const server = await startSshServer({
    user: SFTP_USER,
    tag: 'sftpd',
    config: opts.sftp === false ? [] : ['Subsystem sftp internal-sftp'],
  });
  const remote = join(server.dir, 'remote');
  await fs.mkdir(remote, { mode: 0o755 });
  if (process.getuid?.() === 0) await run('chown', [`${server.user}:`, remote]);
  return { ...server, remote };
}
