import * as assert from 'node:assert/strict';
import { Server, createServer } from 'node:http';
import { Destination, parseDestination, readOffsiteState } from '../../../src/core/offsite';

describe('readOffsiteState: a problem the user fixes in a step of the front end', function () {
  this.timeout(30_000);
  let server: Server;
  let port: number;
  let requests = 0;
  before(async () => {
    // An S3 endpoint that refuses every request with 403, as one does for keys without access.
    server = createServer((req, res) => {
      requests++;
      req.resume();
      res.writeHead(403, { 'content-type': 'application/xml' });
      res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('a refused S3 listing names the "s3-keys" step next to its problem', async () => {
    const destination = parseDestination('s3://sms-backups/sms', {
      s3: {
        endpoint: `http://127.0.0.1:${port}`,
        forcePathStyle: true,
        credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
      },
    }) as Destination;
    try {
      const state = await readOffsiteState(destination);
      assert.ok(requests > 0, 'the server was never asked');
      assert.match(
        state.problem ?? '',
        /^Access denied to s3:\/\/sms-backups\/sms at http:\/\/127\.0\.0\.1:\d+: could not list the bucket "sms-backups"\./,
      );
      assert.equal(state.problemStep, 's3-keys');
      assert.equal(state.copies.size, 0);
      assert.deepEqual(state.backups, []);
    } finally {
      await destination.close?.();
    }
  });
});
