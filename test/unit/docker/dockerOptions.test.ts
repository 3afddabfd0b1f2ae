import * as assert from 'node:assert/strict';
import * as https from 'node:https';
import { userInfo } from 'node:os';
import { dockerOptions } from '../../../src/core/docker';

describe('dockerOptions: defaults the Docker CLI would take', () => {
  const saved = process.env.SSH_AUTH_SOCK;
  afterEach(() => {
    if (saved === undefined) delete process.env.SSH_AUTH_SOCK;
    else process.env.SSH_AUTH_SOCK = saved;
  });

  it('ssh without a port or user: port 22, the local user; an agent when one runs, else no agent', () => {
    process.env.SSH_AUTH_SOCK = '/run/agent.sock';
    const withAgent = dockerOptions({ host: 'ssh://nas.example', source: 'setting' }) as {
      port: number;
      username: string;
      sshOptions: { agent?: string; privateKey?: Buffer };
    };
    assert.deepEqual([withAgent.port, withAgent.username], [22, userInfo().username]);
    assert.equal(withAgent.sshOptions.agent, '/run/agent.sock');
    assert.equal(withAgent.sshOptions.privateKey, undefined);
    delete process.env.SSH_AUTH_SOCK;
    const noAgent = dockerOptions({ host: 'ssh://nas.example', source: 'setting' }) as { sshOptions: { agent?: string } };
    assert.equal(noAgent.sshOptions.agent, undefined);
  });

  it('an ssh host whose key is not in known_hosts is refused by the verifier', () => {
    const o = dockerOptions({ host: 'ssh://me@unknown-host.invalid:2200', source: 'setting' }) as {
      sshOptions: { hostVerifier: (key: Buffer) => boolean };
    };
    const blob = Buffer.concat([Buffer.from([0, 0, 0, 11]), Buffer.from('ssh-ed25519'), Buffer.alloc(36, 7)]);
    assert.equal(o.sshOptions.hostVerifier(blob), false);
  });

  it('tcp: plain http on 2375 by default; TLS material makes it https on 2376; an explicit port stays', () => {
    assert.deepEqual(pick(dockerOptions({ host: 'tcp://docker.lan', source: 'DOCKER_HOST' })), ['http', 'docker.lan', 2375]);
    assert.deepEqual(pick(dockerOptions({ host: 'tcp://docker.lan:9999', source: 'DOCKER_HOST' })), ['http', 'docker.lan', '9999']);
    const [ca, cert, key] = [Buffer.from('CA'), Buffer.from('CERT'), Buffer.from('KEY')];
    const tls = { ca, cert, key, verify: true };
    const verified = dockerOptions({ host: 'tcp://docker.lan', source: 'current context', tls }) as ReturnType<typeof dockerOptions> & {
      agent?: https.Agent;
    };
    assert.deepEqual(pick(verified), ['https', 'docker.lan', 2376]);
    assert.deepEqual([verified.ca, verified.cert, verified.key, verified.agent], [ca, cert, key, undefined]);
    const skip = dockerOptions({ host: 'tcp://docker.lan', source: 'current context', tls: { ...tls, verify: false } }) as {
      agent?: https.Agent;
    };
    assert.ok(skip.agent instanceof https.Agent, 'SkipTLSVerify still presents the client certificate, through an agent');
    assert.deepEqual(pick(dockerOptions({ host: 'https://docker.lan', source: 'setting' })), ['https', 'docker.lan', 2376]);
  });
});

function pick(o: { protocol?: string; host?: string; port?: number | string }): unknown[] {
  return [o.protocol, o.host, o.port];
}
