import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dockerOptions, describeEngine, engineHint, selectEngine } from '../../../src/core/docker';
import { SettingsError } from '../../../src/core/common';

/** A context as `docker context create` stores it: meta.json under the sha256 of its name. */
async function writeContext(
  configDir: string,
  name: string,
  host: string,
  tls?: Record<string, string>,
  skipVerify = false,
): Promise<void> {
  const id = createHash('sha256').update(name).digest('hex');
  await fs.mkdir(join(configDir, 'contexts', 'meta', id), { recursive: true });
  await fs.writeFile(
    join(configDir, 'contexts', 'meta', id, 'meta.json'),
    JSON.stringify({ Name: name, Metadata: {}, Endpoints: { docker: { Host: host, SkipTLSVerify: skipVerify } } }),
  );
  if (tls) {
    const dir = join(configDir, 'contexts', 'tls', id, 'docker');
    await fs.mkdir(dir, { recursive: true });
    for (const [f, body] of Object.entries(tls)) await fs.writeFile(join(dir, f), body);
  }
}

describe('choosing the Docker engine as the Docker CLI does', () => {
  let home: string;
  let configDir: string;
  beforeEach(async () => {
    home = await fs.mkdtemp(join(tmpdir(), 'lifeboat-engine-'));
    configDir = join(home, '.docker');
    await fs.mkdir(configDir);
  });
  afterEach(() => fs.rm(home, { recursive: true, force: true }));

  it('the setting, then DOCKER_HOST, then DOCKER_CONTEXT, then the current context, then the default', async () => {
    await writeContext(configDir, 'colima', 'unix:///home/me/.colima/default/docker.sock');
    await writeContext(configDir, 'remote', 'ssh://deploy@db.example.com');
    await fs.writeFile(join(configDir, 'config.json'), JSON.stringify({ auths: {}, currentContext: 'colima' }));
    const env = { DOCKER_HOST: 'tcp://10.0.0.5:2375', DOCKER_CONTEXT: 'remote' };
    const pick = (e: NodeJS.ProcessEnv, setting?: string) => selectEngine({ env: e, home, setting, platform: 'linux' });

    assert.deepEqual(
      [pick(env, '/run/user/1000/podman/podman.sock').host, pick(env, '/x.sock').source],
      ['unix:///run/user/1000/podman/podman.sock', 'setting'],
    );
    assert.deepEqual([pick(env).host, pick(env).source], ['tcp://10.0.0.5:2375', 'DOCKER_HOST']);
    const ctx = pick({ DOCKER_CONTEXT: 'remote' });
    assert.deepEqual([ctx.host, ctx.source, ctx.context], ['ssh://deploy@db.example.com', 'DOCKER_CONTEXT', 'remote']);
    const current = pick({});
    assert.deepEqual(
      [current.host, current.source, current.context],
      ['unix:///home/me/.colima/default/docker.sock', 'current context', 'colima'],
    );
    // DOCKER_CONFIG moves the CLI's folder, as it does for the CLI.
    const elsewhere = join(home, 'elsewhere');
    await fs.mkdir(elsewhere);
    assert.deepEqual(
      [pick({ DOCKER_CONFIG: elsewhere }).host, pick({ DOCKER_CONFIG: elsewhere }).source],
      ['unix:///var/run/docker.sock', 'default'],
    );
    // The context named "default" is the platform's engine.
    assert.equal(pick({ DOCKER_CONTEXT: 'default' }).source, 'default');
    assert.equal(selectEngine({ env: {}, home: elsewhere, platform: 'win32' }).host, 'npipe:////./pipe/docker_engine');
  });

  it('says which engine and where the choice came from, and what to do about it', async () => {
    await writeContext(configDir, 'desktop-linux', 'unix:///Users/me/.docker/run/docker.sock');
    await fs.writeFile(join(configDir, 'config.json'), '{"currentContext":"desktop-linux"}');
    const e = selectEngine({ env: {}, home });
    assert.equal(
      describeEngine(e),
      'unix:///Users/me/.docker/run/docker.sock (context desktop-linux, the current context of the Docker CLI)',
    );
    assert.match(engineHint(e), /context desktop-linux.*docker context use/);
    assert.match(describeEngine(selectEngine({ env: { DOCKER_HOST: 'unix:///tmp/d.sock' }, home })), /from DOCKER_HOST/);
    assert.match(engineHint(selectEngine({ env: {}, home, setting: 'unix:///tmp/d.sock' })), /lifeboat\.docker\.host/);
  });

  it('a context file that is not JSON, a missing context, or a host it cannot use: a settings error naming it', async () => {
    await fs.writeFile(join(configDir, 'config.json'), '{"currentContext": "gone"');
    assert.throws(
      () => selectEngine({ env: {}, home }),
      (err: Error) => err instanceof SettingsError && /config\.json is not valid JSON/.test(err.message),
    );
    await fs.writeFile(join(configDir, 'config.json'), '{"currentContext": "gone"}');
    assert.throws(
      () => selectEngine({ env: {}, home }),
      (err: Error) => err instanceof SettingsError && /context "gone" .*does not exist/.test(err.message),
    );
    const id = createHash('sha256').update('broken').digest('hex');
    await fs.mkdir(join(configDir, 'contexts', 'meta', id), { recursive: true });
    await fs.writeFile(join(configDir, 'contexts', 'meta', id, 'meta.json'), 'not json');
    assert.throws(
      () => selectEngine({ env: { DOCKER_CONTEXT: 'broken' }, home }),
      (err: Error) => err instanceof SettingsError && /context "broken" \(DOCKER_CONTEXT\) cannot be read/.test(err.message),
    );
    assert.throws(
      () => selectEngine({ env: { DOCKER_HOST: 'docker.example.com:2375' }, home }),
      (err: Error) => err instanceof SettingsError && /DOCKER_HOST/.test(err.message),
    );
    assert.throws(
      () => selectEngine({ env: { DOCKER_HOST: 'tcp://h:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: join(home, 'none') }, home }),
      (err: Error) => err instanceof SettingsError && /ca\.pem is missing/.test(err.message),
    );
  });

  it('TLS material comes from the context, or from DOCKER_CERT_PATH for a tcp:// DOCKER_HOST', async () => {
    await writeContext(configDir, 'secure', 'tcp://127.0.0.1:2376', { 'ca.pem': 'CA', 'cert.pem': 'CERT', 'key.pem': 'KEY' });
    const e = selectEngine({ env: { DOCKER_CONTEXT: 'secure' }, home });
    assert.deepEqual([e.tls?.ca?.toString(), e.tls?.cert?.toString(), e.tls?.key?.toString(), e.tls?.verify], ['CA', 'CERT', 'KEY', true]);
    const o = dockerOptions(e);
    assert.deepEqual(
      [o.protocol, o.host, o.port, String(o.ca), String(o.cert), String(o.key), o.socketPath],
      ['https', '127.0.0.1', '2376', 'CA', 'CERT', 'KEY', undefined],
    );
    const certs = join(home, 'certs');
    await fs.mkdir(certs);
    for (const f of ['ca.pem', 'cert.pem', 'key.pem']) await fs.writeFile(join(certs, f), f);
    const env = selectEngine({ env: { DOCKER_HOST: 'tcp://127.0.0.1:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certs }, home });
    assert.equal(env.tls?.ca?.toString(), 'ca.pem');
    // A tcp:// host without any TLS setting stays plain http, as the CLI does.
    assert.equal(dockerOptions(selectEngine({ env: { DOCKER_HOST: 'tcp://127.0.0.1:2375' }, home })).protocol, 'http');
  });

  it('dockerode options for each kind of host, with nothing left over from DOCKER_HOST', () => {
    const unix = dockerOptions({ host: 'unix:///tmp/d.sock', source: 'setting' });
    assert.equal(unix.socketPath, '/tmp/d.sock');
    // Explicitly undefined, so dockerode's own reading of DOCKER_HOST cannot add a host.
    assert.ok('host' in unix && unix.host === undefined);
    const ssh = dockerOptions({ host: 'ssh://deploy@db.example.com:2222', source: 'setting' });
    assert.deepEqual([ssh.protocol, ssh.host, ssh.port, ssh.username], ['ssh', 'db.example.com', 2222, 'deploy']);
    assert.equal(dockerOptions({ host: 'npipe:////./pipe/docker_engine', source: 'default' }).socketPath, '//./pipe/docker_engine');
  });
});
