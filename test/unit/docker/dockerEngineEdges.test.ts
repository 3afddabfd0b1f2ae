import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { engineHint, selectEngine } from '../../../src/core/docker';
import { SettingsError } from '../../../src/core/common';

describe('choosing the Docker engine: the less common configurations', () => {
  let home: string;
  let configDir: string;
  beforeEach(async () => {
    home = await fs.mkdtemp(join(tmpdir(), 'lb-engine-edge-'));
    configDir = join(home, '.docker');
    await fs.mkdir(configDir);
  });
  afterEach(() => fs.rm(home, { recursive: true, force: true }));

  const meta = async (name: string, body: unknown) => {
    const id = createHash('sha256').update(name).digest('hex');
    await fs.mkdir(join(configDir, 'contexts', 'meta', id), { recursive: true });
    await fs.writeFile(join(configDir, 'contexts', 'meta', id, 'meta.json'), JSON.stringify(body));
    return id;
  };

  it('a config.json without a current context, or with "default", means the platform socket', async () => {
    await fs.writeFile(join(configDir, 'config.json'), JSON.stringify({ auths: {} }));
    assert.deepEqual(selectEngine({ env: {}, home, platform: 'linux' }), { host: 'unix:///var/run/docker.sock', source: 'default' });
    await fs.writeFile(join(configDir, 'config.json'), JSON.stringify({ currentContext: '' }));
    assert.equal(selectEngine({ env: {}, home, platform: 'win32' }).host, 'npipe:////./pipe/docker_engine');
  });

  it('a context without a Docker endpoint is a settings error saying how to recreate it', async () => {
    await meta('empty', { Name: 'empty', Endpoints: {} });
    assert.throws(
      () => selectEngine({ env: { DOCKER_CONTEXT: 'empty' }, home }),
      (err: Error) =>
        err instanceof SettingsError &&
        /The Docker context "empty" \(DOCKER_CONTEXT\) names no Docker endpoint/.test(err.message) &&
        /docker context create empty/.test(err.hint ?? ''),
    );
  });

  it('a tcp context with only a CA uses it; one with no TLS files is plain', async () => {
    const id = await meta('remote', { Endpoints: { docker: { Host: 'tcp://build.lan:2376' } } });
    const dir = join(configDir, 'contexts', 'tls', id, 'docker');
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(join(dir, 'ca.pem'), 'CA');
    const e = selectEngine({ env: { DOCKER_CONTEXT: 'remote' }, home });
    assert.equal(e.tls?.ca?.toString(), 'CA');
    assert.deepEqual([e.tls?.cert, e.tls?.key, e.tls?.verify], [undefined, undefined, true]);
    await meta('plain', { Endpoints: { docker: { Host: 'tcp://build.lan:2375' } } });
    assert.equal(selectEngine({ env: { DOCKER_CONTEXT: 'plain' }, home }).tls, undefined);
  });

  it('DOCKER_TLS_VERIFY reads the certificates from DOCKER_CONFIG, then ~/.docker, when DOCKER_CERT_PATH is unset', async () => {
    const alt = join(home, 'alt');
    await fs.mkdir(alt);
    await fs.writeFile(join(alt, 'ca.pem'), 'ALT-CA');
    const fromConfig = selectEngine({ env: { DOCKER_HOST: 'tcp://h:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CONFIG: alt }, home });
    assert.equal(fromConfig.tls?.ca?.toString(), 'ALT-CA');
    await fs.writeFile(join(configDir, 'ca.pem'), 'HOME-CA');
    const fromHome = selectEngine({ env: { DOCKER_HOST: 'tcp://h:2376', DOCKER_TLS_VERIFY: '1' }, home });
    assert.equal(fromHome.tls?.ca?.toString(), 'HOME-CA');
  });

  it("without a home given, DOCKER_TLS_VERIFY looks in the user's own ~/.docker", async () => {
    const saved = process.env.HOME;
    process.env.HOME = home;
    try {
      await fs.writeFile(join(configDir, 'ca.pem'), 'USER-CA');
      assert.equal(selectEngine({ env: { DOCKER_HOST: 'tcp://h:2376', DOCKER_TLS_VERIFY: '1' } }).tls?.ca?.toString(), 'USER-CA');
    } finally {
      process.env.HOME = saved;
    }
  });

  it('an unreadable config.json is a settings error, not a crash; a config path through a file counts as none', async () => {
    await fs.mkdir(join(configDir, 'config.json'));
    assert.throws(
      () => selectEngine({ env: {}, home }),
      (err: Error) => err instanceof SettingsError && /^Cannot read .*config\.json: EISDIR/.test(err.message),
    );
    const file = join(home, 'a-file');
    await fs.writeFile(file, 'x');
    assert.equal(selectEngine({ env: { DOCKER_CONFIG: join(file, 'sub') }, home, platform: 'linux' }).source, 'default');
  });

  it('the hint for the default engine says how to start Docker or choose another', () => {
    assert.match(engineHint({ host: 'unix:///var/run/docker.sock', source: 'default' }), /sudo systemctl start docker/);
  });
});
