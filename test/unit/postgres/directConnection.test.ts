import * as assert from 'node:assert/strict';
import type Docker from 'dockerode';
import { routes, serverPort } from '../../../src/core/postgres';

type Info = Docker.ContainerInspectInfo;

function info(parts: {
  cmd?: string[];
  env?: string[];
  mode?: string;
  ports?: Record<string, { HostIp: string; HostPort: string }[] | null>;
  ips?: string[];
}): Info {
  return {
    Config: { Cmd: parts.cmd ?? ['postgres'], Env: parts.env ?? [] },
    Args: [],
    HostConfig: { NetworkMode: parts.mode ?? 'bridge' },
    NetworkSettings: {
      Ports: parts.ports ?? {},
      Networks: Object.fromEntries((parts.ips ?? []).map((ip, i) => [`net${i}`, { IPAddress: ip }])),
    },
  } as unknown as Info;
}

describe('direct connection routes', () => {
  it("finds the server's port in its command line, then PGPORT, else 5432", () => {
    assert.equal(serverPort(info({})), 5432);
    assert.equal(serverPort(info({ env: ['PGPORT=55432'] })), 55432);
    assert.equal(serverPort(info({ cmd: ['postgres', '-p', '6543'], env: ['PGPORT=55432'] })), 6543);
    assert.equal(serverPort(info({ cmd: ['postgres', '-p6544'] })), 6544);
    assert.equal(serverPort(info({ cmd: ['postgres', '-c', 'port=6545', '-c', 'shared_buffers=1GB'] })), 6545);
    assert.equal(serverPort(info({ cmd: ['postgres', '-c', 'max_connections=50'], env: ['PGPORT=x'] })), 5432);
  });

  it('tries host networking first, then published ports, then container addresses', () => {
    assert.deepEqual(routes(info({ mode: 'host' }), 55432), [{ host: '127.0.0.1', port: 55432 }]);
    assert.deepEqual(
      routes(
        info({
          ports: {
            '5432/tcp': [
              { HostIp: '0.0.0.0', HostPort: '15432' },
              { HostIp: '::', HostPort: '15432' },
              { HostIp: '10.1.2.3', HostPort: '25432' },
            ],
            '80/tcp': [{ HostIp: '', HostPort: '8080' }],
          },
          ips: ['172.18.0.2'],
        }),
        5432,
      ),
      [
        { host: '127.0.0.1', port: 15432 },
        { host: '::1', port: 15432 },
        { host: '10.1.2.3', port: 25432 },
        { host: '172.18.0.2', port: 5432 },
      ],
    );
  });

  it('has nothing to try for an unpublished port on a network without an address', () => {
    assert.deepEqual(routes(info({ ports: { '5432/tcp': null }, ips: [''] }), 5432), []);
  });
  it('reads --port=N, and a container inspected without a command, arguments or environment listens on 5432', () => {
    assert.equal(serverPort(info({ cmd: ['postgres', '--port=6546'] })), 6546);
    assert.equal(serverPort({} as Info), 5432);
  });

  it('skips bindings without a host port, lists a route once, and has none without network settings', () => {
    assert.deepEqual(
      routes(
        info({
          ports: {
            '5432/tcp': [
              { HostIp: '', HostPort: '' },
              { HostIp: '0.0.0.0', HostPort: '0' },
              { HostIp: '', HostPort: '15432' },
              { HostIp: '0.0.0.0', HostPort: '15432' },
            ],
          },
        }),
        5432,
      ),
      [{ host: '127.0.0.1', port: 15432 }],
    );
    assert.deepEqual(routes({} as Info, 5432), []);
    assert.deepEqual(routes({ NetworkSettings: {} } as Info, 5432), []);
  });
});
