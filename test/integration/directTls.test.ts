import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { connectDirect, PgConnection, PgServerError, PgSsl, PgSslError, SslMode } from '../../src/core/postgres';
import { docker, freePort, postgresImage, run, tempDir, waitHealthy } from './harness';

/**
 * TLS on the direct connection, against a PostgreSQL container of its own whose certificate
 * is made here with openssl: one CA that signed it (for 127.0.0.1 only) and one that did not.
 */
describe('direct connection over TLS (a scratch PostgreSQL container with ssl=on)', function () {
  this.timeout(180_000);
  const NAME = 'lifeboat-it-tls';
  const PASSWORD = 'lb-tls-only';
  let port = 0;
  let dir = '';
  let ca = '';
  let otherCa = '';

  const openssl = (...args: string[]) => run('openssl', args, { cwd: dir });
  const sql = async (query: string) =>
    (await run('docker', ['exec', NAME, 'psql', '-X', '-At', '-U', 'lb', '-d', 'lbdb', '-c', query])).stdout.trim();
  const connect = (ssl: PgSsl, host = '127.0.0.1', applicationName = 'lifeboat_tls_test') =>
    PgConnection.connect({ host, port, user: 'lb', database: 'lbdb', password: PASSWORD, applicationName, ssl, timeoutMs: 10_000 });

  /** What the server itself says about the session: TLS or not, seen from pg_stat_ssl. */
  async function serverSaysTls(applicationName: string): Promise<boolean> {
    const out = await sql(
      `SELECT s.ssl FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE a.application_name = '${applicationName}'`,
    );
    assert.match(out, /^[tf]$/, `one session named ${applicationName}`);
    return out === 't';
  }

  async function serverSsl(on: boolean): Promise<void> {
    await sql(`ALTER SYSTEM SET ssl = ${on ? 'on' : 'off'}`);
    await sql('SELECT pg_reload_conf()');
    for (let i = 0; (await sql('SHOW ssl')) !== (on ? 'on' : 'off'); i++) {
      if (i > 40) throw new Error('the server did not take the ssl setting');
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** TCP lines of pg_hba: `host` (TLS or not) or `hostssl` (TLS only). */
  async function hbaTcpLines(kind: 'host' | 'hostssl'): Promise<void> {
    await run('docker', ['exec', NAME, 'sh', '-c', `sed -i -E 's/^host(ssl)?(\\s)/${kind}\\2/' "$PGDATA/pg_hba.conf"`]);
    await sql('SELECT pg_reload_conf()');
    await new Promise((r) => setTimeout(r, 500));
  }

  before(async () => {
    dir = await tempDir('tls');
    await openssl(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=Lifeboat test CA',
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
    );
    await openssl(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=Some other CA',
      '-keyout',
      'other.key',
      '-out',
      'other.crt',
    );
    await openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', 'server.key', '-out', 'server.csr');
    await fs.writeFile(join(dir, 'san.ext'), 'subjectAltName = IP:127.0.0.1\n');
    await openssl(
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      'san.ext',
      '-out',
      'server.crt',
    );
    ca = await fs.readFile(join(dir, 'ca.crt'), 'utf8');
    otherCa = await fs.readFile(join(dir, 'other.crt'), 'utf8');

    port = await freePort();
    await run('docker', ['rm', '-f', NAME]).catch(() => undefined);
    await run('docker', [
      'run',
      '-d',
      '--name',
      NAME,
      '--network',
      'host',
      '-e',
      'POSTGRES_USER=lb',
      '-e',
      `POSTGRES_PASSWORD=${PASSWORD}`,
      '-e',
      'POSTGRES_DB=lbdb',
      '-e',
      `PGPORT=${port}`,
      '-e',
      'POSTGRES_LISTEN_ADDRESSES=localhost',
      '--health-cmd',
      'pg_isready -q -U lb -d lbdb',
      '--health-interval',
      '1s',
      '--health-retries',
      '60',
      await postgresImage(),
    ]);
    await waitHealthy(NAME);
    // The key must belong to the server's user and be private, or PostgreSQL will not load it.
    await run('docker', ['exec', '-u', 'root', NAME, 'mkdir', '-p', '/certs']);
    for (const f of ['server.crt', 'server.key']) await run('docker', ['cp', join(dir, f), `${NAME}:/certs/${f}`]);
    await run('docker', ['exec', '-u', 'root', NAME, 'sh', '-c', 'chown -R postgres:postgres /certs && chmod 600 /certs/server.key']);
    await sql(`ALTER SYSTEM SET ssl_cert_file = '/certs/server.crt'`);
    await sql(`ALTER SYSTEM SET ssl_key_file = '/certs/server.key'`);
    await serverSsl(true);
  });

  after(async () => {
    await run('docker', ['rm', '-f', '-v', NAME]).catch(() => undefined);
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it('require: the session runs over TLS, as the server itself reports', async () => {
    const conn = await connect({ mode: 'require' }, '127.0.0.1', 'lifeboat_tls_require');
    try {
      assert.match(conn.tls ?? '', /^TLSv1\.[23]$/);
      assert.equal(await serverSaysTls('lifeboat_tls_require'), true);
    } finally {
      conn.end();
    }
  });

  it('verify-full with the CA that signed the certificate gets in; verify-ca does not check the name', async () => {
    const full = await connect({ mode: 'verify-full', ca, caSource: 'ca.crt' });
    assert.ok(full.tls);
    full.end();
    // "localhost" is not in the certificate: verify-ca lets it by, verify-full (below) does not.
    const byCa = await connect({ mode: 'verify-ca', ca, caSource: 'ca.crt' }, 'localhost');
    assert.ok(byCa.tls);
    byCa.end();
  });

  it('verify-full refuses a certificate from another CA, and one for another name, saying which', async () => {
    await assert.rejects(connect({ mode: 'verify-full', ca: otherCa, caSource: '/keys/other.crt' }), (err: Error) => {
      assert.ok(err instanceof PgSslError, err.message);
      assert.match(
        err.message,
        /certificate of the server at 127\.0\.0\.1:\d+ was not signed by the CA in "\/keys\/other\.crt" \([A-Z_]+\)/,
      );
      return true;
    });
    await assert.rejects(connect({ mode: 'verify-ca', ca: otherCa, caSource: 'other.crt' }), PgSslError);
    await assert.rejects(connect({ mode: 'verify-full', ca, caSource: 'ca.crt' }, 'localhost'), (err: Error) => {
      assert.ok(err instanceof PgSslError, err.message);
      assert.match(err.message, /is not for "localhost" \(.+\), and sslmode "verify-full" checks the name/);
      return true;
    });
  });

  it('a server with hostssl lines only: prefer, require and allow get in over TLS, disable is refused by the server', async () => {
    await hbaTcpLines('hostssl');
    try {
      for (const mode of ['prefer', 'require', 'allow'] as SslMode[]) {
        const conn = await connect({ mode });
        assert.ok(conn.tls, `${mode} went over TLS`);
        conn.end();
      }
      await assert.rejects(connect({ mode: 'disable' }), (err: Error) => err instanceof PgServerError && err.code === '28000');
      // What a restore does: the settings from libpq's variables (none here: prefer) and the container.
      const r = await connectDirect({
        container: docker.getContainer(NAME),
        user: 'lb',
        database: 'lbdb',
        applicationName: 'lifeboat_tls_direct',
      });
      assert.ok(r.conn, 'reason' in r ? r.reason : '');
      assert.equal(r.via, `127.0.0.1:${port}`);
      assert.equal(await serverSaysTls('lifeboat_tls_direct'), true);
      r.conn.end();
    } finally {
      await hbaTcpLines('host');
    }
  });

  it('a server without TLS: prefer and allow go on in plain TCP, require and verify-full are refused', async () => {
    await serverSsl(false);
    try {
      const conn = await connect({ mode: 'prefer' }, '127.0.0.1', 'lifeboat_tls_prefer');
      assert.equal(conn.tls, undefined);
      assert.equal(await serverSaysTls('lifeboat_tls_prefer'), false);
      conn.end();
      (await connect({ mode: 'allow' })).end();
      for (const mode of ['require', 'verify-full'] as SslMode[]) {
        await assert.rejects(connect({ mode, ca }), (err: Error) => {
          assert.ok(err instanceof PgSslError, err.message);
          assert.match(err.message, new RegExp(`does not accept TLS connections, and sslmode "${mode}" requires one`));
          return true;
        });
      }
    } finally {
      await serverSsl(true);
    }
  });
});
