import * as assert from 'node:assert/strict';
import { connectDirect, PgConnection, PgConnectionLost, PgServerError } from '../../src/core/postgres';
import { assertPortFree, docker, postgresImage, run, waitHealthy } from './harness';

// The demo stack's sms-db: host networking on 55432, SCRAM-SHA-256 for TCP logins.
const CONTAINER = 'sms-db';

async function password(): Promise<string> {
  const env = (await docker.getContainer(CONTAINER).inspect()).Config.Env ?? [];
  const kv = env.find((e) => e.startsWith('POSTGRES_PASSWORD='));
  assert.ok(kv, 'the demo stack sets POSTGRES_PASSWORD');
  return kv.slice('POSTGRES_PASSWORD='.length);
}

describe('direct connection to the stack database', function () {
  this.timeout(30_000);

  it('logs in with SCRAM-SHA-256 using the password the container was started with', async () => {
    const r = await connectDirect({
      container: docker.getContainer(CONTAINER),
      user: 'sms_user',
      database: 'sms_db',
      applicationName: 'lifeboat_test',
    });
    assert.ok(r.conn, 'reason' in r ? r.reason : '');
    assert.equal(r.via, '127.0.0.1:55432');
    assert.equal(r.conn.auth, 'SCRAM-SHA-256');
    assert.match(r.conn.parameters.get('server_version') ?? '', /^\d+\.\d+/);
    r.conn.end();
  });

  it('a wrong password, a missing database and a closed port are refused, each for what it is', async () => {
    const base = { host: '127.0.0.1', port: 55432, user: 'sms_user', database: 'sms_db' };
    await assert.rejects(
      PgConnection.connect({ ...base, password: `${await password()}-wrong` }),
      (err: Error) => err instanceof PgServerError && err.code === '28P01',
    );
    await assert.rejects(
      PgConnection.connect({ ...base, password: await password(), database: 'no_such_database_here' }),
      (err: Error) => err instanceof PgServerError && err.code === '3D000',
    );
    await assert.rejects(PgConnection.connect({ ...base, password: undefined }), /asks for a password and none is known/);
    await assert.rejects(
      PgConnection.connect({ ...base, port: 1, password: 'x' }),
      (err: Error) => err instanceof PgConnectionLost && /ECONNREFUSED/.test(err.message),
    );
  });

  it('a user the container has no password for gets no connection, and a reason to log', async () => {
    const r = await connectDirect({
      container: docker.getContainer(CONTAINER),
      user: 'someone_else',
      database: 'sms_db',
      applicationName: 'lifeboat_test',
    });
    assert.equal(r.conn, undefined);
    assert.match('reason' in r ? r.reason : '', /127\.0\.0\.1:55432: .*password/);
  });
});

describe('direct connection logins a server may ask for (a scratch PostgreSQL container)', function () {
  this.timeout(120_000);
  const NAME = 'lifeboat-it-logins';
  const PORT = 55497;
  const PASSWORD = 'lb-logins-only';

  /** pg_hba's TCP method, changed with the docker CLI (a fixture step) and reloaded. */
  async function hostMethod(method: string): Promise<void> {
    await run('docker', [
      'exec',
      NAME,
      'sh',
      '-c',
      `sed -i -E '/^host/ s/(scram-sha-256|md5|password|trust)$/${method}/' "$PGDATA/pg_hba.conf"`,
    ]);
    await run('docker', ['exec', NAME, 'psql', '-X', '-q', '-U', 'lb', '-d', 'lbdb', '-c', 'SELECT pg_reload_conf()']);
  }

  const connect = (password?: string) => PgConnection.connect({ host: '127.0.0.1', port: PORT, user: 'lb', database: 'lbdb', password });

  before(async () => {
    await run('docker', ['rm', '-f', NAME]).catch(() => undefined);
    await assertPortFree(PORT);
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
      'POSTGRES_HOST_AUTH_METHOD=md5',
      '-e',
      `PGPORT=${PORT}`,
      '-e',
      'POSTGRES_LISTEN_ADDRESSES=127.0.0.1',
      '--health-cmd',
      'pg_isready -q -U lb -d lbdb',
      '--health-interval',
      '1s',
      '--health-retries',
      '60',
      await postgresImage(),
    ]);
    await waitHealthy(NAME);
    // Stored as md5, so an md5 line really asks for md5 (a SCRAM verifier would be asked for SCRAM).
    await run('docker', [
      'exec',
      NAME,
      'psql',
      '-X',
      '-q',
      '-U',
      'lb',
      '-d',
      'lbdb',
      '-c',
      "SET password_encryption = 'md5'",
      '-c',
      `ALTER ROLE lb PASSWORD '${PASSWORD}'`,
    ]);
  });

  after(async () => {
    await run('docker', ['rm', '-f', '-v', NAME]).catch(() => undefined);
  });

  for (const method of ['md5', 'password'] as const) {
    it(`${method === 'password' ? 'password (cleartext)' : method}: the right password gets in, a wrong one is refused`, async () => {
      await hostMethod(method);
      const conn = await connect(PASSWORD);
      assert.equal(conn.auth, method);
      conn.end();
      await assert.rejects(connect('wrong'), (err: Error) => err instanceof PgServerError && err.code === '28P01');
    });
  }

  it('trust: no password asked; connectDirect finds the server from the container alone', async () => {
    await hostMethod('trust');
    const conn = await connect(undefined);
    assert.equal(conn.auth, 'trust');
    conn.end();
    const r = await connectDirect({ container: docker.getContainer(NAME), user: 'lb', database: 'lbdb', applicationName: 'lifeboat_test' });
    assert.ok(r.conn, 'reason' in r ? r.reason : '');
    assert.equal(r.via, `127.0.0.1:${PORT}`);
    r.conn.end();
  });

  it('a password changed since the container started: the reason to log names the failed login, never the password (contract 8 in docs/contracts.md)', async () => {
    await hostMethod('md5');
    const psqlAs = (sql: string) =>
      run('docker', ['exec', NAME, 'psql', '-X', '-q', '-U', 'lb', '-d', 'lbdb', '-c', "SET password_encryption = 'md5'", '-c', sql]);
    await psqlAs("ALTER ROLE lb PASSWORD 'changed-since-start'");
    try {
      const r = await connectDirect({
        container: docker.getContainer(NAME),
        user: 'lb',
        database: 'lbdb',
        applicationName: 'lifeboat_test',
      });
      assert.equal(r.conn, undefined, 'the password of the container environment no longer logs in');
      const reason = 'reason' in r ? r.reason : '';
      assert.match(reason, /password authentication failed/);
      assert.ok(!reason.includes(PASSWORD), `the reason holds the password: ${reason}`);
      await assert.rejects(connect(PASSWORD), (err: Error) => {
        assert.ok(!err.message.includes(PASSWORD) && !String(err.stack).includes(PASSWORD), `the error holds the password: ${err.message}`);
        return err instanceof PgServerError && err.code === '28P01';
      });
    } finally {
      await psqlAs(`ALTER ROLE lb PASSWORD '${PASSWORD}'`);
    }
  });
});
