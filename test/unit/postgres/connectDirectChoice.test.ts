import * as assert from 'node:assert/strict';
import type Docker from 'dockerode';
import { connectDirect } from '../../../src/core/postgres';
import { FakePgServer, FakeScript, authOk, int32, message, ready } from './fakePgServer';

/**
 * connectDirect's choices given what the engine says of the container: the inspect answer is a
 * plain object (the engine's side is in test/integration/directConnection.test.ts), the servers
 * are scripted ones on local ports.
 */
describe('connectDirect (a container described by its inspect answer)', () => {
  const servers: FakePgServer[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.stop();
  });

  /** A local engine's container whose inspect gives `info`. */
  const container = (info: unknown): Docker.Container =>
    ({ modem: { socketPath: '/var/run/docker.sock' }, inspect: async () => info }) as unknown as Docker.Container;
  const inspectInfo = (env: string[], ports: number[]) => ({
    Config: { Cmd: ['postgres'], Env: env },
    Args: [],
    HostConfig: { NetworkMode: 'bridge' },
    NetworkSettings: { Ports: { '5432/tcp': ports.map((p) => ({ HostIp: '127.0.0.1', HostPort: String(p) })) }, Networks: {} },
  });
  const target = (c: Docker.Container) => ({
    container: c,
    user: 'postgres',
    database: 'd',
    applicationName: 'lifeboat-test',
    ssl: { mode: 'disable' as const },
  });

  it('an engine that cannot inspect the container is a reason to use psql, not a failure', async () => {
    const c = { modem: { socketPath: '/var/run/docker.sock' }, inspect: async () => Promise.reject(new Error('no such container: x')) };
    const result = await connectDirect(target(c as unknown as Docker.Container));
    assert.deepEqual(result, { reason: 'cannot inspect the container: no such container: x' });
  });

  it("a TLS setting of the container's that cannot be met is a reason, said before any connection", async () => {
    const server = await new FakePgServer().start();
    servers.push(server);
    const c = container(inspectInfo(['PGSSLMODE=verify-full', 'PGSSLROOTCERT=/nonexistent/root.crt'], [server.port]));
    const saved = { mode: process.env.PGSSLMODE, root: process.env.PGSSLROOTCERT };
    delete process.env.PGSSLMODE;
    process.env.PGSSLROOTCERT = '/nonexistent/lifeboat-root.crt';
    try {
      const result = await connectDirect({ ...target(c), ssl: undefined });
      assert.equal(result.conn, undefined);
      assert.match(
        (result as { reason: string }).reason,
        /PGSSLMODE "verify-full" needs the CA certificate .*"\/nonexistent\/lifeboat-root\.crt" does not exist/,
      );
    } finally {
      if (saved.mode === undefined) delete process.env.PGSSLMODE;
      else process.env.PGSSLMODE = saved.mode;
      if (saved.root === undefined) delete process.env.PGSSLROOTCERT;
      else process.env.PGSSLROOTCERT = saved.root;
    }
    assert.equal(server.sessions.length, 0, 'nothing was connected to');
  });

  it('uses the first route that logs in and ends the others; POSTGRES_PASSWORD counts for the default user "postgres"', async () => {
    const password: string[] = [];
    // A clear-text password login (AuthenticationCleartextPassword), then ready.
    const script: FakeScript = {
      startup: (s) => s.socket.write(message('R', int32(3))),
      other: (s, type, body) => {
        if (type !== 'p') return;
        password.push(body.toString('utf8', 0, body.length - 1));
        s.socket.write(Buffer.concat([authOk(), ready()]));
      },
    };
    const a = await new FakePgServer(script).start();
    const b = await new FakePgServer(script).start();
    servers.push(a, b);
    const result = await connectDirect(target(container(inspectInfo(['POSTGRES_PASSWORD=s3cret'], [a.port, b.port]))));
    assert.ok(result.conn, (result as { reason?: string }).reason);
    assert.deepEqual(password, ['s3cret', 's3cret'], 'both routes logged in with the container password');
    const loser = result.via === `127.0.0.1:${a.port}` ? b : a;
    await new Promise<void>((r) => {
      const wait = () => (loser.sessions[0]?.types.includes('X') ? r() : setTimeout(wait, 10));
      wait();
    });
    const winner = loser === a ? b : a;
    assert.ok(!winner.sessions[0].types.includes('X'), 'the route in use stays open');
    result.conn.end();
  });
});
