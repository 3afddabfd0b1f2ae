import * as assert from 'node:assert/strict';
import { PgConnection, PgConnectionLost, PgServerError, SslMode } from '../../../src/core/postgres';
import { FakePgServer, FakeScript, authOk, int32, message, ready, serverError } from './fakePgServer';

/**
 * PgConnection against a scripted server: logins Lifeboat does not speak, replies cut into
 * pieces, a server that goes quiet or resets, a reader that stops reading. Real PostgreSQL is in
 * test/integration/pgWire.test.ts.
 */
describe('PgConnection edges (scripted server)', () => {
  let server: FakePgServer;
  afterEach(() => server?.stop());

  const start = async (script: FakeScript) => (server = await new FakePgServer(script).start());
  const connect = (mode: SslMode = 'disable', timeoutMs = 5000) =>
    PgConnection.connect({ host: '127.0.0.1', port: server.port, user: 'u', database: 'd', password: 'pw', ssl: { mode }, timeoutMs });

  it('reads a login whose messages arrive a few bytes at a time', async () => {
    const reply = Buffer.concat([authOk(), message('S', 'server_version\x0016.4\x00'), ready()]);
    await start({
      startup: (s) => {
        let i = 0;
        const next = () => {
          if (i >= reply.length) return;
          s.socket.write(reply.subarray(i, i + 3));
          i += 3;
          setTimeout(next, 5);
        };
        next();
      },
    });
    const conn = await connect();
    assert.equal(conn.parameters.get('server_version'), '16.4');
    assert.equal(conn.auth, 'trust');
    conn.end();
  });

  it('refuses a server that offers SASL without SCRAM-SHA-256, naming what it offered', async () => {
    await start({ startup: (s) => s.socket.write(message('R', Buffer.concat([int32(10), Buffer.from('SCRAM-SHA-256-PLUS\0\0')]))) });
    await assert.rejects(connect(), /the server offers no login Lifeboat speaks \(SCRAM-SHA-256-PLUS\)/);
    assert.deepEqual(server.sessions[0].types, [], 'no password was sent');
  });

  it('refuses an authentication request it does not speak (GSSAPI), and a SCRAM continuation out of turn', async () => {
    await start({ startup: (s) => s.socket.write(message('R', int32(7))) });
    await assert.rejects(connect(), /the server asks for a login Lifeboat does not speak \(authentication request 7\)/);
    await server.stop();
    await start({ startup: (s) => s.socket.write(message('R', Buffer.concat([int32(11), Buffer.from('r=x,s=y,i=1')]))) });
    await assert.rejects(connect(), /authentication request 11/);
    assert.deepEqual(server.sessions[0].types, [], 'nothing was sent in answer');
  });

  it('allow: a plain login refused for a reason other than pg_hba is not tried again over TLS', async () => {
    await start({
      startup: (s) => s.socket.end(serverError({ S: 'FATAL', C: '28P01', M: 'password authentication failed for user "u"' })),
    });
    await assert.rejects(connect('allow'), (err: Error) => err instanceof PgServerError && err.code === '28P01' && !err.overTls);
    assert.equal(server.sessions.length, 1, 'one connection only');
    assert.equal(server.sessions[0].sslRequested, false);
  });

  it('gives up on a server that accepts the connection and never answers the login', async () => {
    await start({ startup: () => undefined });
    const t0 = Date.now();
    await assert.rejects(
      connect('disable', 300),
      (err: Error) => err instanceof PgConnectionLost && /no answer from 127\.0\.0\.1:\d+ within 300 ms/.test(err.message),
    );
    assert.ok(Date.now() - t0 < 3000, 'it gave up at the timeout');
  });

  it('reports a connection reset after the login once, and ending it afterwards does nothing', async () => {
    await start({});
    const conn = await connect();
    const seen: Error[] = [];
    conn.whenClosed((err) => seen.push(err));
    server.sessions[0].socket.resetAndDestroy();
    await new Promise<void>((r) => conn.whenClosed(() => setTimeout(r, 50)));
    assert.equal(seen.length, 1);
    assert.ok(seen[0] instanceof PgConnectionLost);
    assert.match(seen[0].message, /ECONNRESET/);
    assert.ok(conn.closed);
    conn.end();
    const late: Error[] = [];
    conn.whenClosed((err) => late.push(err));
    assert.equal(late[0], seen[0], 'the first cause stays the cause');
  });

  it('waits for drain while the server does not read, and fails the wait when the server goes away', async () => {
    await start({ query: () => undefined });
    const conn = await connect();
    const reader = server.sessions[0].socket;
    reader.pause();
    const chunk = Buffer.alloc(256 * 1024, 0x61);
    /** Writes until the kernel's buffers are full too: a drain that has not come 200 ms later. */
    const fillUntilBlocked = async (): Promise<{ wait: Promise<void> }> => {
      for (let round = 0; round < 200; round++) {
        while (conn.query(chunk));
        const wait = conn.drain();
        const blocked = await Promise.race([wait.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), 200))]);
        if (blocked) return { wait };
      }
      return assert.fail('the socket never stayed blocked');
    };
    const { wait: waiting } = await fillUntilBlocked();
    let drained = false;
    void waiting.then(() => (drained = true));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(drained, false, 'drain waits while the server reads nothing');
    reader.resume();
    await waiting;
    assert.equal(drained, true);

    reader.pause();
    const { wait: failing } = await fillUntilBlocked();
    reader.destroy();
    await assert.rejects(failing, PgConnectionLost);
    conn.destroy();
  });
});
