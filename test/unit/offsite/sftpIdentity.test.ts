import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CancelledError, LifeboatError } from '../../../src/core/common';
import { sftpIdentity } from '../../../src/core/offsite';

// Keys made by OpenSSH's own ssh-keygen, as users make them.
function keygen(file: string, passphrase = ''): void {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', passphrase, '-C', 'lifeboat-test', '-f', file]);
}

describe('sftpIdentity: the key and agent an SFTP login offers, picked as ssh picks them', () => {
  let dir: string;
  const saved = { HOME: process.env.HOME, SSH_AUTH_SOCK: process.env.SSH_AUTH_SOCK };
  beforeEach(async () => {
    dir = await fs.mkdtemp(join(tmpdir(), 'lb-identity-'));
    await fs.mkdir(join(dir, '.ssh'));
    process.env.HOME = dir;
    delete process.env.SSH_AUTH_SOCK;
  });
  afterEach(async () => {
    process.env.HOME = saved.HOME;
    if (saved.SSH_AUTH_SOCK !== undefined) process.env.SSH_AUTH_SOCK = saved.SSH_AUTH_SOCK;
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('takes ~/.ssh/id_ed25519, else id_rsa, and the agent from SSH_AUTH_SOCK beside it', async () => {
    keygen(join(dir, '.ssh', 'id_rsa'));
    assert.equal((await sftpIdentity({})).keyFile, join(dir, '.ssh', 'id_rsa'));
    keygen(join(dir, '.ssh', 'id_ed25519'));
    process.env.SSH_AUTH_SOCK = '/run/agent.sock';
    const id = await sftpIdentity({});
    assert.equal(id.keyFile, join(dir, '.ssh', 'id_ed25519'));
    assert.equal(id.agent, '/run/agent.sock');
    assert.ok(id.privateKey?.length);
  });

  it('without a key: the agent alone, or a refusal that says how to make one', async () => {
    assert.deepEqual(await sftpIdentity({ agent: '/run/agent.sock' }), { agent: '/run/agent.sock' });
    await assert.rejects(
      sftpIdentity({}),
      (err: Error) => err instanceof LifeboatError && /No SSH key .* no ssh-agent runs/.test(err.message),
    );
  });

  it('a default key that is there but cannot be read is named, not skipped for the next one', async () => {
    await fs.mkdir(join(dir, '.ssh', 'id_ed25519'));
    keygen(join(dir, '.ssh', 'id_rsa'));
    await assert.rejects(sftpIdentity({ agent: '/run/agent.sock' }), (err: Error) => {
      assert.ok(err instanceof LifeboatError);
      assert.equal(err.message, `Cannot read the SSH key ${join(dir, '.ssh', 'id_ed25519')} (EISDIR).`);
      assert.match(err.hint ?? '', /lifeboat\.offsite\.sftp\.identityFile/);
      return true;
    });
  });

  it('a configured key that is missing or not a key is named, never replaced by a default', async () => {
    keygen(join(dir, '.ssh', 'id_ed25519'));
    await assert.rejects(sftpIdentity({ identityFile: join(dir, 'nope') }), /Cannot read the SSH key .*nope \(ENOENT\)/);
    await fs.writeFile(join(dir, 'notes.txt'), 'not a key\n');
    await assert.rejects(sftpIdentity({ identityFile: join(dir, 'notes.txt') }), /is not an SSH private key Lifeboat can read/);
  });

  it('a key with a passphrase: left to the agent when one runs; asked for until it opens; a dismissed question cancels', async () => {
    const file = join(dir, 'locked');
    keygen(file, 'open sesame');
    assert.deepEqual(await sftpIdentity({ identityFile: file, agent: '/run/agent.sock' }), { agent: '/run/agent.sock' });
    const asked: boolean[] = [];
    const id = await sftpIdentity({
      identityFile: file,
      askPassphrase: async (_f, again) => (asked.push(again), again ? 'open sesame' : 'nope'),
    });
    assert.deepEqual(asked, [false, true]);
    assert.equal(id.passphrase, 'open sesame');
    assert.equal(id.typed, true);
    await assert.rejects(
      sftpIdentity({ identityFile: file, askPassphrase: async () => undefined }),
      (err: Error) => err instanceof CancelledError,
    );
  });
});
