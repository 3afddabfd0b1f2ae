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

export async function startSftpServer(): Promise<SftpServer> {
  const server = await startSshServer({ user: SFTP_USER, tag: 'sftpd', config: ['Subsystem sftp internal-sftp'] });
  const remote = join(server.dir, 'remote');
  await fs.mkdir(remote, { mode: 0o755 });
  if (process.getuid?.() === 0) await run('chown', [`${server.user}:`, remote]);
  return { ...server, remote };
}
