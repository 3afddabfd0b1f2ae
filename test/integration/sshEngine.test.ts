// An ssh:// engine, as people reach a stack on another box: Debian's OpenSSH server on
// 127.0.0.1 (started here, with keys made here), where a user of its own (lifeboat-ssh, in the
// docker group, made here when missing) runs `docker system dial-stdio` for each connection to
// this machine's real engine. The host key is checked against known_hosts.
import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { backupDatabase } from '../../src/core/database';
import { discoverStack } from '../../src/core/stack';
import { connectDocker, pingDocker, selectEngine } from '../../src/core/docker';
import { DockerUnavailableError } from '../../src/core/common';
import { verifyBackup } from '../../src/core/verify';
import { DEMO_DIR, demoStack, run } from './harness';
import { SshServer, keygen, startSshServer } from './sshServer';

const USER = 'lifeboat-ssh';

describe('an ssh:// engine (OpenSSH on 127.0.0.1, docker system dial-stdio)', function () {
  this.timeout(180_000);
  let server: SshServer;
  let dir: string;
  let home: string;
  let port: number;
  const saved = { HOME: process.env.HOME, SSH_AUTH_SOCK: process.env.SSH_AUTH_SOCK };

  before(async function () {
    await demoStack();
    // A plain user whose only power is the docker group, as on a real box.
    server = await startSshServer({
      user: USER,
      shell: '/bin/bash',
      groups: ['docker'],
      tag: 'sshd',
      config: [
        'PermitRootLogin no',
        // The engine's socket and the docker CLI, as a login on the server would have them.
        'SetEnv PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      ],
    });
    ({ dir, home, port } = server);
    // os.homedir() and so known_hosts and the default key come from HOME; no agent here.
    process.env.HOME = home;
    delete process.env.SSH_AUTH_SOCK;
  });

  after(async () => {
    process.env.HOME = saved.HOME;
    if (saved.SSH_AUTH_SOCK !== undefined) process.env.SSH_AUTH_SOCK = saved.SSH_AUTH_SOCK;
    await server?.stop();
    connectDocker(selectEngine());
  });

  const engineFor = () => selectEngine({ env: {}, setting: `ssh://${server.user}@127.0.0.1:${port}` });
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
    assert.ok(err.message.includes(server.hostFingerprint), `${err.message} does not show ${server.hostFingerprint}`);
    assert.match(err.message, new RegExp(`ssh://${server.user}@127\\.0\\.0\\.1:${port} \\(from the setting lifeboat\\.docker\\.host\\)`));
    assert.match(err.hint ?? '', /ssh-keyscan -p \d+ 127\.0\.0\.1/);
  });

  it('a changed host key is refused with a warning', async () => {
    const other = (await keygen(join(dir, 'impostor'))).split(' ').slice(0, 2).join(' ');
    await knownHosts(`[127.0.0.1]:${port} ${other}`);
    const err = await refusal();
    assert.match(err.message, /host key has CHANGED/);
    assert.ok(err.message.includes(server.hostFingerprint));
  });

  it('with the host key in known_hosts (hashed, as ssh writes it), a backup and a test restore run through ssh', async () => {
    await knownHosts(server.hostKeyLine);
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
    await knownHosts(server.hostKeyLine);
    await server.authorize([await keygen(join(dir, 'someone-else'))]);
    const err = await refusal();
    assert.match(err.message, new RegExp(`ssh://${server.user}@127\\.0\\.0\\.1:${port}`));
    assert.match(err.message, /authentication/i);
  });
});
