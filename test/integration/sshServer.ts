// Debian's OpenSSH server on 127.0.0.1 for the tests that log in over SSH (the SFTP destination,
// an ssh:// Docker engine) and the SFTP bench, with a host key and a client key made here. As
// root (CI) it logs in a plain user of its own, made when missing, so that permissions on the
// server mean what they do on a real box; as anyone else it can only log in that same user.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import * as net from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort, run, tempDir } from './harness';

const SSHD = '/usr/sbin/sshd';

export interface SshServerOptions {
  /** The account it logs in when run as root. */
  user: string;
  /** When the account is made: its shell (default /bin/sh) and its groups (docker, for an ssh:// engine). */
  shell?: string;
  groups?: string[];
  /** More sshd_config lines (a Subsystem, SetEnv, …). */
  config?: string[];
  /** The temporary folder's name. */
  tag: string;
}

export interface SshServer {
  dir: string;
  port: number;
  user: string;
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

async function ensureUser(user: string, shell: string, groups: string[]): Promise<void> {
  const exists = await run('id', ['-u', user]).then(
    () => true,
    () => false,
  );
  if (!exists) await run('useradd', ['--create-home', '--shell', shell, ...(groups.length ? ['--groups', groups.join(',')] : []), user]);
  // No password, but not locked ("!"): without PAM, sshd refuses key logins to locked accounts.
  await run('usermod', ['--password', '*', user]);
}

async function listening(port: number): Promise<boolean> {
  return new Promise<boolean>((r) =>
    net
      .connect(port, '127.0.0.1')
      .on('connect', function (this: net.Socket) {
        this.destroy();
        r(true);
      })
      .on('error', () => r(false)),
  );
}

export async function startSshServer(opts: SshServerOptions): Promise<SshServer> {
  if (!existsSync(SSHD)) throw new Error(`${SSHD} is missing: scripts/env/install-system.sh installs openssh-server`);
  const root = process.getuid?.() === 0;
  const user = root ? opts.user : userInfo().username;
  if (root) await ensureUser(opts.user, opts.shell ?? '/bin/sh', opts.groups ?? []);
  const dir = await tempDir(opts.tag);
  // sshd reads the key list, and the user reaches its folders, through this folder.
  await fs.chmod(dir, 0o755);
  const home = join(dir, 'home');
  await fs.mkdir(join(home, '.ssh'), { recursive: true, mode: 0o700 });
  const hostPub = await keygen(join(dir, 'host_ed25519'));
  const hostFingerprint = (await run('ssh-keygen', ['-l', '-E', 'sha256', '-f', join(dir, 'host_ed25519.pub')])).stdout.split(' ')[1];
  const clientKey = join(home, '.ssh', 'id_ed25519');
  const clientPub = await keygen(clientKey);
  const authorizedKeys = join(dir, 'authorized_keys');
  const authorize = (keys: string[]) => fs.writeFile(authorizedKeys, keys.map((k) => `${k}\n`).join(''), { mode: 0o644 });
  await authorize([clientPub]);
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
      ...(opts.config ?? []),
    ].join('\n') + '\n',
  );
  if (root) await fs.mkdir('/run/sshd', { recursive: true });
  const sshd: ChildProcess = spawn(SSHD, ['-D', '-e', '-f', join(dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  sshd.stderr!.on('data', (b: Buffer) => (log += b.toString()));
  for (let i = 0; !(await listening(port)); i++) {
    if (i > 100 || sshd.exitCode !== null) throw new Error(`sshd did not start: ${log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    dir,
    port,
    user,
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
