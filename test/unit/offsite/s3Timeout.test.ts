import * as assert from 'node:assert/strict';
import { LifeboatError } from '../../../src/core/common';
import { S3Destination } from '../../../src/core/offsite';
import { SilentServer, silentServer } from '../../support/silentServer';

describe('S3 destination: a server that accepts and never answers', function () {
  this.timeout(30_000);
  let server: SilentServer;
  beforeEach(async () => {
    server = await silentServer();
  });
  afterEach(() => server.stop());

  it('fails after the request timeout of each attempt, saying it cannot reach the storage, instead of waiting forever', async () => {
    const destination = new S3Destination(
      { bucket: 'sms-backups', prefix: 'sms' },
      {
        endpoint: `http://127.0.0.1:${server.port}`,
        forcePathStyle: true,
        credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
        requestTimeoutMs: 1_000,
      },
    );
    const start = performance.now();
    try {
      await assert.rejects(destination.check(), (err: Error) => {
        assert.ok(err instanceof LifeboatError, String(err));
        assert.match(
          err.message,
          /^Cannot reach the S3 storage at http:\/\/127\.0\.0\.1:\d+ \(ETIMEDOUT\): could not list the bucket "sms-backups"\. /,
        );
        return true;
      });
    } finally {
      await destination.close();
    }
    const ms = performance.now() - start;
    // Three attempts of a second each, and the SDK's short back-off between them.
    assert.ok(ms >= 2_900 && ms < 10_000, `gave up after ${Math.round(ms)} ms`);
    assert.equal(server.accepted, 3);
  });
});
