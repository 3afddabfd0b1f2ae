// Engines chosen the way the Docker CLI chooses them, through contexts made by the real
// `docker context create`: a second real Docker engine (its own dockerd, data and socket) and
// the same dockerd's tcp:// endpoint with TLS client certificates (dockerd --tlsverify, with
// certificates made here by openssl). A PostgreSQL container with Compose labels runs on the
// second engine; each route carries a backup, a full verify (a test restore) and a restore.
import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { backupDatabase, restoreDatabase } from '../../src/core/database';
import { discoverStack } from '../../src/core/stack';
import { connectDocker, pingDocker, selectEngine } from '../../src/core/docker';
import { DockerUnavailableError } from '../../src/core/common';
import { verifyBackup } from '../../src/core/verify';
import { collectingLogger, run, tempDir } from './harness';
import { startComposeDatabase } from './composeDatabase';
import { startSecondEngine, type SecondEngine } from './secondEngine';

const PROJECT = 'lbsecond';
const PORT = 55441;

async function openssl(dir: string, args: string[]): Promise<void> {
  await run('openssl', args, { cwd: dir });
}

/** A CA, a server certificate for 127.0.0.1 and a client certificate, as `dockerd --tlsverify` setups use. */
async function makeCertificates(dir: string, tag: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  await openssl(dir, [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca-key.pem',
    '-out',
    'ca.pem',
    '-days',
    '2',
    '-subj',
    `/CN=lifeboat test CA ${tag}`,
  ]);
  await fs.writeFile(join(dir, 'server.cnf'), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  await fs.writeFile(join(dir, 'client.cnf'), 'extendedKeyUsage=clientAuth\n');
  for (const who of ['server', 'client']) {
    await openssl(dir, [
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      `${who}-key.pem`,
      '-out',
      `${who}.csr`,
      '-subj',
      `/CN=${who === 'server' ? '127.0.0.1' : 'lifeboat'}`,
    ]);
    await openssl(dir, [
      'x509',
      '-req',
      '-in',
      `${who}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca-key.pem',
      '-CAcreateserial',
      '-out',
      `${who}.pem`,
      '-days',
      '2',
      '-extfile',
      `${who}.cnf`,
    ]);
  }
}

describe('engines chosen through Docker contexts (real docker context create, a second real engine)', function () {
  this.timeout(300_000);
  let dir: string;
  let configDir: string;
  let certs: string;
  let engine: SecondEngine;
  const docker = (args: string[]) =>
    run('docker', args, { env: { ...process.env, DOCKER_CONFIG: configDir, DOCKER_HOST: '', DOCKER_CONTEXT: '' } });
  let sql: (q: string) => Promise<string>;

  before(async () => {
    dir = await tempDir('contexts');
    configDir = join(dir, 'docker-config');
    await fs.mkdir(configDir);
    certs = join(dir, 'certs');
    await makeCertificates(certs, 'engine');
    const c = (f: string) => join(certs, f);
    engine = await startSecondEngine(join(dir, 'e2'), { ca: c('ca.pem'), cert: c('server.pem'), key: c('server-key.pem') });
    ({ sql } = await startComposeDatabase(engine, {
      project: PROJECT,
      workingDir: join(dir, 'project'),
      password: 'second_engine_pw',
      port: PORT,
      volume: { name: `${PROJECT}_data` },
    }));
    await sql(
      "CREATE TABLE notes (id int PRIMARY KEY, body text); INSERT INTO notes SELECT g, 'note ' || g FROM generate_series(1, 1500) g",
    );
    await docker(['context', 'create', 'lifeboat-second', '--docker', `host=unix://${engine.socket}`]);
    await docker([
      'context',
      'create',
      'lifeboat-tls',
      '--docker',
      `host=${engine.tcp},ca=${c('ca.pem')},cert=${c('client.pem')},key=${c('client-key.pem')}`,
    ]);
    // A client certificate from a CA the engine does not trust.
    const other = join(dir, 'other-certs');
    await makeCertificates(other, 'stranger');
    const o = (f: string) => join(other, f);
    await docker([
      'context',
      'create',
      'lifeboat-stranger',
      '--docker',
      `host=${engine.tcp},ca=${c('ca.pem')},cert=${o('client.pem')},key=${o('client-key.pem')}`,
    ]);
  });
  after(async () => {
    await engine?.stop();
    // Later suites in this process talk to the default engine again.
    connectDocker(selectEngine());
    await fs.rm(dir, { recursive: true, force: true });
  });

  /** Backup, full verify and restore of the second engine's database through `client`. */
  async function roundTrip(client: Docker, tag: string): Promise<void> {
    const stack = await discoverStack(client, { folder: join(dir, 'project') });
    assert.equal(stack.db.name, `${PROJECT}-db`);
    const backups = join(dir, `backups-${tag}`);
    const made = await backupDatabase(client, stack, { backupDir: backups });
    const verified = await verifyBackup(made.path, { depth: 'full', docker: client, stack });
    assert.equal(verified.ok, true, verified.problem);
    assert.ok(
      verified.checks.some((c) => /test restore .* rows match/.test(c)),
      verified.checks.join('; '),
    );
    await sql('DELETE FROM notes WHERE id > 500');
    const restored = await restoreDatabase(client, stack, {
      file: made.path,
      backupDir: backups,
      confirm: async () => true,
      migration: 'none',
    });
    assert.equal(restored.status, 'restored');
    assert.equal(await sql('SELECT count(*) FROM notes'), '1500');
  }

  it('the current context (docker context use) names the second engine: backup, test restore and restore run there', async () => {
    await docker(['context', 'use', 'lifeboat-second']);
    const chosen = selectEngine({ env: { DOCKER_CONFIG: configDir } });
    assert.deepEqual([chosen.host, chosen.source, chosen.context], [`unix://${engine.socket}`, 'current context', 'lifeboat-second']);
    await roundTrip(connectDocker(chosen), 'socket');
    // The first engine does not have that stack: the context really chose another engine.
    await assert.rejects(discoverStack(connectDocker(selectEngine({ env: {} })), { folder: join(dir, 'project') }));
  });

  it('DOCKER_CONTEXT naming a context whose socket is gone: an error that names the engine, the context and where it came from', async () => {
    await docker(['context', 'create', 'lifeboat-gone', '--docker', `host=unix://${join(dir, 'no-such.sock')}`]);
    const chosen = selectEngine({ env: { DOCKER_CONFIG: configDir, DOCKER_CONTEXT: 'lifeboat-gone' } });
    const err = await pingDocker(connectDocker(chosen)).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof DockerUnavailableError, String(err));
    assert.match(err.message, /no-such\.sock \(context lifeboat-gone, from DOCKER_CONTEXT\): no socket at that path \(ENOENT\)/);
    assert.match(err.hint ?? '', /docker context use/);
  });

  it('a context with CA, certificate and key reaches dockerd --tlsverify: backup, test restore and restore over TLS', async () => {
    const chosen = selectEngine({ env: { DOCKER_CONFIG: configDir, DOCKER_CONTEXT: 'lifeboat-tls' } });
    assert.equal(chosen.host, engine.tcp);
    assert.equal(chosen.tls?.verify, true);
    await roundTrip(connectDocker(chosen), 'tls');
  });

  it('a client certificate the engine does not trust: refused, and the error names the engine and context', async () => {
    const chosen = selectEngine({ env: { DOCKER_CONFIG: configDir, DOCKER_CONTEXT: 'lifeboat-stranger' } });
    const err = await pingDocker(connectDocker(chosen)).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof DockerUnavailableError, String(err));
    assert.ok(err.message.includes(`${engine.tcp} (context lifeboat-stranger, from DOCKER_CONTEXT)`), err.message);
  });

  it('a database Lifeboat cannot reach directly (network none, as on a remote engine): the dry run goes through psql and says so', async () => {
    const project = join(dir, 'isolated');
    const { sql: q } = await startComposeDatabase(engine, { project: 'lbisolated', workingDir: project, password: 'isolated_pw' });
    await q('CREATE TABLE t AS SELECT g AS id FROM generate_series(1, 300) g');
    const client = connectDocker(selectEngine({ env: {}, setting: `unix://${engine.socket}` }));
    const stack = await discoverStack(client, { folder: project });
    const backups = join(dir, 'backups-isolated');
    const made = await backupDatabase(client, stack, { backupDir: backups });
    const log = collectingLogger();
    let via: string | undefined;
    const r = await restoreDatabase(client, stack, {
      file: made.path,
      backupDir: backups,
      confirm: async (summary) => ((via = summary.loadedVia), false),
      logger: log,
    });
    assert.equal(r.status, 'declined');
    assert.match(via ?? '', /psql/);
    assert.ok(
      log.lines.some((l) => /Loading through psql in the container: no direct connection/.test(l)),
      log.lines.join('\n'),
    );
  });

  it('DOCKER_HOST with DOCKER_TLS_VERIFY and DOCKER_CERT_PATH, as docker-machine setups export them', async () => {
    const certPath = join(dir, 'cert-path');
    await fs.mkdir(certPath);
    for (const [from, to] of [
      ['ca.pem', 'ca.pem'],
      ['client.pem', 'cert.pem'],
      ['client-key.pem', 'key.pem'],
    ])
      await fs.copyFile(join(certs, from), join(certPath, to));
    const client = connectDocker(selectEngine({ env: { DOCKER_HOST: engine.tcp!, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certPath } }));
    await pingDocker(client);
    const names = (await client.listContainers()).map((c) => c.Names[0]).sort();
    assert.deepEqual(names, ['/lbisolated-db', `/${PROJECT}-db`]);
  });
});
