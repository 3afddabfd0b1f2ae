// An ssh:// engine, as people reach a stack on another box: Debian's OpenSSH server on
// 127.0.0.1 (started here, with keys made here), where a user of its own (lifeboat-ssh, in the
// docker group, made here when missing) runs `docker system dial-stdio` for each connection to
// this machine's real engine. The host key is checked against known_hosts.
import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import * as net from 'node:net';
import { join } from 'node:path';
import { backupDatabase } from '../../src/core/database';
import { discoverStack } from '../../src/core/stack';
import { connectDocker, pingDocker, selectEngine } from '../../src/core/docker';
import { DockerUnavailableError } from '../../src/core/common';
import { verifyBackup } from '../../src/core/verify';
import { DEMO_DIR, demoStack, freePort, run, tempDir } from './harness';

const SSHD = '/usr/sbin/sshd';
const USER = 'lifeboat-ssh';

/** The server-side account: a plain user whose only power is the docker group, as on a real box. */
async function ensureUser(): Promise<void> {
  if (
    !(await run('id', ['-u', USER]).then(
      () => true,
      () => false,
    ))
  ) {
    await run('useradd', ['--create-home', '--shell', '/bin/bash', '--groups', 'docker', USER]);
  }
  // No password, but not locked ("!"): without PAM, sshd refuses key logins to locked accounts.
  await run('usermod', ['--password', '*', USER]);
}

async function keygen(file: string): Promise<string> {
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'lifeboat-test', '-f', file]);
  return (await fs.readFile(`${file}.pub`, 'utf8')).trim();
}

describe('an ssh:// engine (OpenSSH on 127.0.0.1, docker system dial-stdio)', function () {
  this.timeout(180_000);
  let dir: string;
  let home: string;
  let port: number;
  let sshd: ChildProcess | undefined;
  let hostKeyLine: string;
  let hostFingerprint: string;
  const saved = { HOME: process.env.HOME, SSH_AUTH_SOCK: process.env.SSH_AUTH_SOCK };

  before(async function () {
    if (!existsSync(SSHD)) throw new Error(`${SSHD} is missing: scripts/env/install-system.sh installs openssh-server`);
    await demoStack();
    dir = await tempDir('sshd');
    home = join(dir, 'home');
    await fs.mkdir(join(home, '.ssh'), { recursive: true, mode: 0o700 });
    const hostPub = await keygen(join(dir, 'host_ed25519'));
    hostKeyLine = hostPub.split(' ').slice(0, 2).join(' ');
    hostFingerprint = (await run('ssh-keygen', ['-l', '-E', 'sha256', '-f', join(dir, 'host_ed25519.pub')])).stdout.split(' ')[1];
    const clientPub = await keygen(join(home, '.ssh', 'id_ed25519'));
    // sshd reads the key list as the user it logs in.
    await fs.chmod(dir, 0o755);
    await fs.writeFile(join(dir, 'authorized_keys'), `${clientPub}\n`, { mode: 0o644 });
    port = await freePort();
    await ensureUser();
    await fs.writeFile(
      join(dir, 'sshd_config'),
      [
        `Port ${port}`,
        'ListenAddress 127.0.0.1',
        `HostKey ${join(dir, 'host_ed25519')}`,
        `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
        `PidFile ${join(dir, 'sshd.pid')}`,
        `AllowUsers ${USER}`,
        'PermitRootLogin no',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'UsePAM no',
        'StrictModes no',
        // The engine's socket and the docker CLI, as a login on the server would have them.
        'SetEnv PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      ].join('\n') + '\n',
    );
    await fs.mkdir('/run/sshd', { recursive: true });
    sshd = spawn(SSHD, ['-D', '-e', '-f', join(dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
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
    // os.homedir() and so known_hosts and the default key come from HOME; no agent here.
    process.env.HOME = home;
    delete process.env.SSH_AUTH_SOCK;
  });

  after(async () => {
    process.env.HOME = saved.HOME;
    if (saved.SSH_AUTH_SOCK !== undefined) process.env.SSH_AUTH_SOCK = saved.SSH_AUTH_SOCK;
    sshd?.kill('SIGTERM');
    connectDocker(selectEngine());
    await fs.rm(dir, { recursive: true, force: true });
  });

  const engineFor = () => selectEngine({ env: {}, setting: `ssh://${USER}@127.0.0.1:${port}` });
  const knownHosts = (line: string) => fs.writeFile(join(home, '.ssh', 'known_hosts'), `${line}\n`);
  const refusal = async (): Promise<DockerUnavailableError> => {
    const err = await pingDocker(connectDocker(engineFor()), 15_000).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof DockerUnavailableError, `expected a refusal, got ${String(err)}`);
    return err;
  };

  it('an unknown host key is refused, and the error shows its SHA256 fingerprint', async () => {
    await fs.rm(join(home, '.ssh', 'known_hosts'), { force: true });
    const err = await refusal();
    assert.ok(err.message.includes(hostFingerprint), `${err.message} does not show ${hostFingerprint}`);
    assert.match(err.message, new RegExp(`ssh://${USER}@127\\.0\\.0\\.1:${port} \\(from the setting lifeboat\\.docker\\.host\\)`));
    assert.match(err.hint ?? '', /ssh-keyscan -p \d+ 127\.0\.0\.1/);
  });

  it('a changed host key is refused with a warning', async () => {
    const other = (await keygen(join(dir, 'impostor'))).split(' ').slice(0, 2).join(' ');
    await knownHosts(`[127.0.0.1]:${port} ${other}`);
    const err = await refusal();
    assert.match(err.message, /host key has CHANGED/);
    assert.ok(err.message.includes(hostFingerprint));
  });

  it('with the host key in known_hosts (hashed, as ssh writes it), a backup and a test restore run through ssh', async () => {
    await knownHosts(`[127.0.0.1]:${port} ${hostKeyLine}`);
    // ssh-keygen -H hashes the names, as HashKnownHosts does by default on Debian.
    await run('ssh-keygen', ['-H', '-f', join(home, '.ssh', 'known_hosts')]);
    assert.match(await fs.readFile(join(home, '.ssh', 'known_hosts'), 'utf8'), /^\|1\|/);
    const client = connectDocker(engineFor());
    await pingDocker(client, 15_000);
    const stack = await discoverStack(client, { folder: DEMO_DIR });
    const made = await backupDatabase(client, stack, { backupDir: join(dir, 'backups') });
    const verified = await verifyBackup(made.path, { depth: 'full', docker: client, stack });
    assert.equal(verified.ok, true, verified.problem);
    assert.ok(
      verified.checks.some((c) => /test restore .* rows match/.test(c)),
      verified.checks.join('; '),
    );
  });

  it('a key the server does not accept: refused, naming the engine', async () => {
    await knownHosts(`[127.0.0.1]:${port} ${hostKeyLine}`);
    await fs.writeFile(join(dir, 'authorized_keys'), `${await keygen(join(dir, 'someone-else'))}\n`);
    const err = await refusal();
    assert.match(err.message, new RegExp(`ssh://${USER}@127\\.0\\.0\\.1:${port}`));
    assert.match(err.message, /authentication/i);
  });
});
