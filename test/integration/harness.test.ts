import * as assert from 'node:assert/strict';
import * as net from 'node:net';
import { scratchPostgres } from './harness';

describe('the test harness', () => {
  it('a fixed test port that is taken is named, before any container starts', async () => {
    const holder = net.createServer();
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', () => r()));
    const { port } = holder.address() as net.AddressInfo;
    try {
      await assert.rejects(scratchPostgres('lifeboat-it-port-taken', port, 1000), new RegExp(`port ${port} is in use on 127\\.0\\.0\\.1`));
    } finally {
      holder.close();
    }
  });
});
