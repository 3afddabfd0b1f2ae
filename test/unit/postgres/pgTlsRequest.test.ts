import * as assert from 'node:assert/strict';
import { AddressInfo, Server, Socket, createServer } from 'node:net';
import { PgConnection, PgServerError, PgSslError, SslMode } from '../../../src/core/postgres';

/**
 * The TLS request's edge cases a real server does not produce on demand, against a socket
 * server that answers as scripted. Real PostgreSQL is in test/integration/directTls.test.ts.
 */
describe('PgConnection TLS request (scripted answers)', () => {
  let server: Server;
  let port = 0;
  /** What each connection is answered with, in turn: to the SSLRequest, then to the startup message. */
  let script: ((s: Socket) => void)[] = [];
  const seen: string[] = [];

  beforeEach(async () => {
    script = [];
    seen.length = 0;
    server = createServer((s) => {
      const next = script.shift();
      s.once('data', (d) => {
        seen.push(d.readInt32BE(4) === 80877103 ? 'SSLRequest' : 'startup');
        if (next) next(s);
        else s.destroy();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterEach(() => new Promise<void>((r) => server.close(() => r())));

  const connect = (mode: SslMode) =>
    PgConnection.connect({ host: '127.0.0.1', port, user: 'u', database: 'd', ssl: { mode }, timeoutMs: 5000 });
  /** An ErrorResponse, so a plain login is seen to have been tried. */
  const refuseLogin = (s: Socket) => {
    const body = Buffer.from('SFATAL\0C28000\0Mplain login reached\0\0');
    const head = Buffer.from([0x45, 0, 0, 0, 0]);
    head.writeInt32BE(body.length + 4, 1);
    s.end(Buffer.concat([head, body]));
  };

  it('refuses bytes sent after the one-byte answer, before the handshake (CVE-2021-23214)', async () => {
    script = [(s) => s.write(Buffer.from('SXXXX'))];
    await assert.rejects(
      connect('require'),
      (err: Error) => err instanceof PgSslError && /sent 5 bytes where its one-byte answer/.test(err.message),
    );
  });

  it('prefer: a server that says no goes on in plain TCP on the same connection', async () => {
    script = [
      (s) => {
        s.write('N');
        s.once('data', () => {
          seen.push('startup');
          refuseLogin(s);
        });
      },
    ];
    await assert.rejects(connect('prefer'), (err: Error) => err instanceof PgServerError && err.message.includes('plain login reached'));
    assert.deepEqual(seen, ['SSLRequest', 'startup']);
  });

  it('prefer: a handshake that breaks is tried again without TLS, on a new connection; require is not', async () => {
    const broken = (s: Socket) => {
      s.write('S');
      s.once('data', () => s.end(Buffer.from('HTTP/1.0 400 not TLS\r\n\r\n')));
    };
    script = [broken, refuseLogin];
    await assert.rejects(connect('prefer'), (err: Error) => err instanceof PgServerError && err.message.includes('plain login reached'));
    assert.deepEqual(seen, ['SSLRequest', 'startup']);
    script = [broken];
    await assert.rejects(
      connect('require'),
      (err: Error) => err instanceof PgSslError && /TLS handshake with the server at 127\.0\.0\.1:\d+ failed/.test(err.message),
    );
  });

  it('disable sends no TLS request at all', async () => {
    script = [refuseLogin];
    await assert.rejects(connect('disable'), PgServerError);
    assert.deepEqual(seen, ['startup']);
  });
});
