// Engines chosen the way the Docker CLI chooses them, through contexts made by the real
// `docker context create`, on this machine's real engine reached by other routes: a socket of
// its own and a tcp:// endpoint that demands TLS client certificates (made here with openssl).
// Each route carries a backup of the demo database and a full verify (a test restore).
import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as net from 'node:net';
import { join } from 'node:path';
import * as tls from 'node:tls';
import type Docker from 'dockerode';
import { backupDatabase } from '../../src/core/databaseBackup';
import { discoverStack } from '../../src/core/discovery';
import { connectDocker, pingDocker } from '../../src/core/docker';
import { selectEngine } from '../../src/core/dockerEngine';
import { DockerUnavailableError } from '../../src/core/errors';
import { verifyBackup } from '../../src/core/verify';
import { DEMO_DIR, demoStack, run, tempDir } from './harness';

const ENGINE_SOCKET = '/var/run/docker.sock';

/**
 * Relays every connection to the real engine and counts them, so a test can tell the route was
 * used. Half-closes pass through, as the engine's own endpoints let them: a restore's exec ends
 * psql's stdin that way and then still reads its exit.
 */
function relay(server: net.Server): { connections: number } {
  const seen = { connections: 0 };
  const onClient = (client: net.Socket): void => {
    seen.connections++;
    const engine = net.connect({ path: ENGINE_SOCKET, allowHalfOpen: true });
    const fail = (): void => {
      client.destroy();
      engine.destroy();
    };
    client.on('error', fail);
    engine.on('error', fail);
    client.pipe(engine).pipe(client);
  };
  server.on(server instanceof tls.Server ? 'secureConnection' : 'connection', onClient);
  return seen;
}

function listen(server: net.Server, where: string | number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    if (typeof where === 'string') server.listen(where, resolve);
    else server.listen(where, '127.0.0.1', resolve);
  });
}

async function openssl(dir: string, args: string[]): Promise<void> {
  await run('openssl', args, { cwd: dir });
}

/** A CA, a server certificate for 127.0.0.1 and a client certificate, as `dockerd --tlsverify` setups use. */
async function makeCertificates(dir: string, tag: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  await openssl(dir, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca-key.pem', '-out', 'ca.pem', '-days', '2', '-subj', `/CN=lifeboat test CA ${tag}`]);
  await fs.writeFile(join(dir, 'server.cnf'), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  await fs.writeFile(join(dir, 'client.cnf'), 'extendedKeyUsage=clientAuth\n');
  for (const who of ['server', 'client']) {
    await openssl(dir, ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${who}-key.pem`, '-out', `${who}.csr`, '-subj', `/CN=${who === 'server' ? '127.0.0.1' : 'lifeboat'}`]);
    await openssl(dir, ['x509', '-req', '-in', `${who}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial', '-out', `${who}.pem`, '-days', '2', '-extfile', `${who}.cnf`]);
  }
}

describe('engines chosen through Docker contexts (real docker context create, the real engine)', function () {
  this.timeout(180_000);
  let dir: string;
  let configDir: string;
  const servers: net.Server[] = [];
  const docker = (args: string[]) => run('docker', args, { env: { ...process.env, DOCKER_CONFIG: configDir, DOCKER_HOST: '', DOCKER_CONTEXT: '' } });

  before(async () => {
    await demoStack();
    dir = await tempDir('contexts');
    configDir = join(dir, 'docker-config');
    await fs.mkdir(configDir);
  });
  after(async () => {
    for (const s of servers) s.close();
    // Later suites in this process talk to the default engine again.
    connectDocker(selectEngine());
    await fs.rm(dir, { recursive: true, force: true });
  });

  /** Backup and full verify of the demo database through `client`; returns the verify's checks. */
  async function backupAndVerify(client: Docker, tag: string): Promise<string[]> {
    const stack = await discoverStack(client, { folder: DEMO_DIR });
    const made = await backupDatabase(client, stack, { backupDir: join(dir, `backups-${tag}`) });
    const verified = await verifyBackup(made.path, { depth: 'full', docker: client, stack });
    assert.equal(verified.ok, true, verified.problem);
    return verified.checks;
  }

  it('the current context (docker context use) on a socket of its own carries a backup and a test restore', async () => {
    const socket = join(dir, 'engine.sock');
    const server = net.createServer({ allowHalfOpen: true });
    servers.push(server);
    const seen = relay(server);
    await listen(server, socket);
    await docker(['context', 'create', 'lifeboat-socket', '--docker', `host=unix://${socket}`]);
    await docker(['context', 'use', 'lifeboat-socket']);

    const engine = selectEngine({ env: { DOCKER_CONFIG: configDir } });
    assert.deepEqual([engine.host, engine.source, engine.context], [`unix://${socket}`, 'current context', 'lifeboat-socket']);
    const checks = await backupAndVerify(connectDocker(engine), 'socket');
    assert.ok(checks.some((c) => /test restore .* rows match/.test(c)), checks.join('; '));
    assert.ok(seen.connections > 0, 'nothing went through the context\'s socket');
  });

  it('DOCKER_CONTEXT naming a context whose socket is gone: an error that names the engine, the context and where it came from', async () => {
    await docker(['context', 'create', 'lifeboat-gone', '--docker', `host=unix://${join(dir, 'no-such.sock')}`]);
    const engine = selectEngine({ env: { DOCKER_CONFIG: configDir, DOCKER_CONTEXT: 'lifeboat-gone' } });
    const err = await pingDocker(connectDocker(engine)).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof DockerUnavailableError, String(err));
    assert.match(err.message, /no-such\.sock \(context lifeboat-gone, from DOCKER_CONTEXT\): no socket at that path \(ENOENT\)/);
    assert.match(err.hint ?? '', /docker context use/);
  });

  describe('tcp:// with TLS client certificates', () => {
    let port = 0;
    let seen: { connections: number };
    before(async () => {
      const certs = join(dir, 'certs');
      await makeCertificates(certs, 'engine');
      const read = (f: string) => fs.readFile(join(certs, f));
      const server = tls.createServer({ key: await read('server-key.pem'), cert: await read('server.pem'), ca: await read('ca.pem'), requestCert: true, rejectUnauthorized: true, allowHalfOpen: true });
      servers.push(server);
      seen = relay(server);
      await listen(server, 0);
      port = (server.address() as net.AddressInfo).port;
      const c = (f: string) => join(certs, f);
      await docker(['context', 'create', 'lifeboat-tls', '--docker', `host=tcp://127.0.0.1:${port},ca=${c('ca.pem')},cert=${c('client.pem')},key=${c('client-key.pem')}`]);
      // The same engine with a client certificate from a CA the endpoint does not trust.
      const other = join(dir, 'other-certs');
      await makeCertificates(other, 'stranger');
      const o = (f: string) => join(other, f);
      await docker(['context', 'create', 'lifeboat-stranger', '--docker', `host=tcp://127.0.0.1:${port},ca=${c('ca.pem')},cert=${o('client.pem')},key=${o('client-key.pem')}`]);
    });

    it('a context with CA, certificate and key carries a backup and a test restore over TLS', async () => {
      const engine = selectEngine({ env: { DOCKER_CONFIG: configDir, DOCKER_CONTEXT: 'lifeboat-tls' } });
      assert.equal(engine.host, `tcp://127.0.0.1:${port}`);
      assert.equal(engine.tls?.verify, true);
      const before = seen.connections;
      const checks = await backupAndVerify(connectDocker(engine), 'tls');
      assert.ok(checks.some((c) => /test restore .* rows match/.test(c)), checks.join('; '));
      assert.ok(seen.connections > before, 'nothing went through the TLS endpoint');
    });

    it('a client certificate the engine does not trust: refused, and the error names the engine and context', async () => {
      const engine = selectEngine({ env: { DOCKER_CONFIG: configDir, DOCKER_CONTEXT: 'lifeboat-stranger' } });
      const err = await pingDocker(connectDocker(engine)).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(err instanceof DockerUnavailableError, String(err));
      assert.match(err.message, new RegExp(`tcp://127\\.0\\.0\\.1:${port} \\(context lifeboat-stranger, from DOCKER_CONTEXT\\)`));
    });

    it('DOCKER_HOST with DOCKER_TLS_VERIFY and DOCKER_CERT_PATH, as docker-machine setups export them', async () => {
      const certs = join(dir, 'certs');
      const certPath = join(dir, 'cert-path');
      await fs.mkdir(certPath);
      for (const [from, to] of [['ca.pem', 'ca.pem'], ['client.pem', 'cert.pem'], ['client-key.pem', 'key.pem']]) await fs.copyFile(join(certs, from), join(certPath, to));
      const engine = selectEngine({ env: { DOCKER_HOST: `tcp://127.0.0.1:${port}`, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certPath } });
      const client = connectDocker(engine);
      await pingDocker(client);
      const info = (await client.version()) as { ApiVersion?: string };
      assert.ok(info.ApiVersion, 'no version through the TLS endpoint');
    });
  });
});
