import * as assert from 'node:assert/strict';
import { connectDirect } from '../../src/core/directConnection';
import { PgConnection, PgConnectionLost, PgServerError } from '../../src/core/pgConnection';
import { docker } from './harness';

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
    const r = await connectDirect({ container: docker.getContainer(CONTAINER), user: 'sms_user', database: 'sms_db', applicationName: 'lifeboat_test' });
    assert.ok(r.conn, 'reason' in r ? r.reason : '');
    assert.equal(r.via, '127.0.0.1:55432');
    assert.match(r.conn.parameters.get('server_version') ?? '', /^\d+\.\d+/);
    r.conn.end();
  });

  it('a wrong password, a missing database and a closed port are refused, each for what it is', async () => {
    const base = { host: '127.0.0.1', port: 55432, user: 'sms_user', database: 'sms_db' };
    await assert.rejects(PgConnection.connect({ ...base, password: `${await password()}-wrong` }), (err: Error) => err instanceof PgServerError && err.code === '28P01');
    await assert.rejects(PgConnection.connect({ ...base, password: await password(), database: 'no_such_database_here' }), (err: Error) => err instanceof PgServerError && err.code === '3D000');
    await assert.rejects(PgConnection.connect({ ...base, password: undefined }), /asks for a password and none is known/);
    await assert.rejects(PgConnection.connect({ ...base, port: 1, password: 'x' }), (err: Error) => err instanceof PgConnectionLost && /ECONNREFUSED/.test(err.message));
  });

  it('a user the container has no password for gets no connection, and a reason to log', async () => {
    const r = await connectDirect({ container: docker.getContainer(CONTAINER), user: 'someone_else', database: 'sms_db', applicationName: 'lifeboat_test' });
    assert.equal(r.conn, undefined);
    assert.match('reason' in r ? r.reason : '', /127\.0\.0\.1:55432: .*password/);
  });
});
