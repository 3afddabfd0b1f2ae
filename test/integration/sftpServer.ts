// Debian's OpenSSH server on 127.0.0.1 for the SFTP destination's tests and bench, with a host
// key and a client key made here. As root (CI) it logs in a plain user of its own, made when
// missing, so that file permissions on the server mean what they do on a NAS; as anyone else it
// can only log in that same user, which it then does.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import * as net from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort, run, tempDir } from './harness';

const SSHD = '/usr/sbin/sshd';
const SFTP_USER = 'lifeboat-sftp';

export interface SftpServer {
  dir: string;
  port: number;
  user: string;
  /** The folder the tests copy into, owned by `user`. */
  remote: string;
  /** `[127.0.0.1]:port ssh-ed25519 AAAA…`, as known_hosts lists it. */
  hostKeyLine: string;
  hostFingerprint: string;
  /** A client key the server accepts (id_ed25519 in `home/.ssh`) and the folder that stands for HOME. */
  home: string;
  clientKey: string;
  /** Replaces the keys the server accepts. */
  authorize(publicKeys: string[]): Promise<void>;
  /** Kills the server's processes for the open connections (by pid, children of this sshd), as a server going down mid-transfer. */
  dropConnections(): Promise<number>;
  stop(): Promise<void>;
}

export async function keygen(file: string, passphrase = ''): Promise<string> {
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', passphrase, '-C', 'lifeboat-test', '-f', file]);
  return (await fs.readFile(`${file}.pub`, 'utf8')).trim();
}

async function ensureUser(): Promise<void> {
  const exists = await run('id', ['-u', SFTP_USER]).then(
    () => true,
    () => false,
  );
  if (!exists) await run('useradd', ['--create-home', '--shell', '/bin/sh', SFTP_USER]);
  // No password, but not locked ("!"): without PAM, sshd refuses key logins to locked accounts.
  await run('usermod', ['--password', '*', SFTP_USER]);
}

/** `sftp: false` leaves out the SFTP subsystem: an SSH server that logs in but offers no file transfer. */
export async function startSftpServer(opts: { sftp?: boolean } = {}): Promise<SftpServer> {
  if (!existsSync(SSHD)) throw new Error(`${SSHD} is missing: scripts/env/install-system.sh installs openssh-server`);
  const root = process.getuid?.() === 0;
  const user = root ? SFTP_USER : userInfo().username;
  if (root) await ensureUser();
  const dir = await tempDir('sftpd');
  // sshd reads the key list, and the user reaches the remote folder, through this folder.
  await fs.chmod(dir, 0o755);
  const home = join(dir, 'home');
  await fs.mkdir(join(home, '.ssh'), { recursive: true, mode: 0o700 });
  await keygen(join(dir, 'host_ed25519'));
  const hostPub = (await fs.readFile(join(dir, 'host_ed25519.pub'), 'utf8')).trim();
  const hostFingerprint = (await run('ssh-keygen', ['-l', '-E', 'sha256', '-f', join(dir, 'host_ed25519.pub')])).stdout.split(' ')[1];
  const clientKey = join(home, '.ssh', 'id_ed25519');
  const clientPub = await keygen(clientKey);
  const authorizedKeys = join(dir, 'authorized_keys');
  const authorize = (keys: string[]) => fs.writeFile(authorizedKeys, keys.map((k) => `${k}\n`).join(''), { mode: 0o644 });
  await authorize([clientPub]);
  const remote = join(dir, 'remote');
  await fs.mkdir(remote, { mode: 0o755 });
  if (root) await run('chown', [`${SFTP_USER}:`, remote]);
  const port = await freePort();
  await fs.writeFile(
    join(dir, 'sshd_config'),
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${join(dir, 'host_ed25519')}`,
      `AuthorizedKeysFile ${authorizedKeys}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AllowUsers ${user}`,
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      ...(opts.sftp === false ? [] : ['Subsystem sftp internal-sftp']),
    ].join('\n') + '\n',
  );
  if (root) await fs.mkdir('/run/sshd', { recursive: true });
  const sshd: ChildProcess = spawn(SSHD, ['-D', '-e', '-f', join(dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  sshd.stderr!.on('data', (b: Buffer) => (log += b.toString()));
  for (let i = 0; ; i++) {
    const up = await new Promise<boolean>((r) =>
      net
        .connect(port, '127.0.0.1')
        .on('connect', function (this: net.Socket) {
          this.destroy();
          r(true);
        })
        .on('error', () => r(false)),
    );
    if (up) break;
    if (i > 100 || sshd.exitCode !== null) throw new Error(`sshd did not start: ${log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    dir,
    port,
    user,
    remote,
    hostKeyLine: `[127.0.0.1]:${port} ${hostPub.split(' ').slice(0, 2).join(' ')}`,
    hostFingerprint,
    home,
    clientKey,
    authorize,
    dropConnections: async () => {
      // Each connection is a privileged process and its unprivileged child, which holds the socket.
      const pids: number[] = [];
      for (let parents = [sshd.pid!]; parents.length;) {
        const { stdout } = await run('ps', ['-o', 'pid=', '--ppid', parents.join(',')]).catch(() => ({ stdout: '' }));
        parents = stdout
          .split('\n')
          .map(Number)
          .filter((p) => p > 0);
        pids.push(...parents);
      }
      for (const pid of pids) process.kill(pid, 'SIGKILL');
      return pids.length;
    },
    stop: async () => {
      if (sshd.exitCode === null) {
        sshd.kill('SIGTERM');
        await new Promise((r) => sshd.once('exit', r));
      }
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}
