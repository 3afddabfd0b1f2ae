import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { CancelledError, LifeboatError } from '../../../src/core/common';
import { waitForHealthy } from '../../../src/core/stack';

/** A real HTTP server on a free local port whose answers the test sets. */
async function server(
  answer: (n: number) => { status: number; body: string },
): Promise<{ url: string; close: () => Promise<void>; hits: () => number }> {
  let n = 0;
  const s = http.createServer((_req, res) => {
    const a = answer(n++);
    res.writeHead(a.status, { 'content-type': 'application/json' });
    res.end(a.body);
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}/health`, hits: () => n, close: () => new Promise((r) => s.close(() => r())) };
}

describe('waitForHealthy against a real HTTP server', () => {
  it('any 2xx passes when no fields are expected, even a body that is not JSON', async () => {
    const s = await server(() => ({ status: 204, body: '' }));
    try {
      const r = await waitForHealthy({ url: s.url });
      assert.equal(r.status, 204);
    } finally {
      await s.close();
    }
  });

  it('retries a 503 and a non-JSON answer until the expected fields come', async () => {
    const answers = [
      { status: 503, body: 'starting' },
      { status: 200, body: '<html>ok</html>' },
      { status: 200, body: '{"status":"healthy","db":"up"}' },
    ];
    const s = await server((n) => answers[Math.min(n, 2)]);
    try {
      const r = await waitForHealthy({ url: s.url, expect: { status: 'healthy' }, timeoutMs: 10_000 });
      assert.equal(r.body, '{"status":"healthy","db":"up"}');
      assert.equal(s.hits(), 3);
    } finally {
      await s.close();
    }
  });

  it('gives up with the last answer in its words: a status outside 2xx, or a body that is not JSON', async () => {
    const s = await server(() => ({ status: 500, body: 'database down' }));
    const t = await server(() => ({ status: 200, body: 'plain text' }));
    try {
      await assert.rejects(
        waitForHealthy({ url: s.url, timeoutMs: 1200 }),
        (err: Error) =>
          err instanceof LifeboatError &&
          err.message.startsWith(`The health check failed: ${s.url} answered 500 database down (waited `) &&
          /docker compose logs/.test(err.hint ?? ''),
      );
      await assert.rejects(
        waitForHealthy({ url: t.url, expect: { status: 'healthy' }, timeoutMs: 1200 }),
        /answered 200 but not JSON: plain text/,
      );
    } finally {
      await s.close();
      await t.close();
    }
  });

  it('an app that refuses connections (over http or https) is retried, then named with the refusal', async () => {
    const s = await server(() => ({ status: 200, body: '' }));
    const port = new URL(s.url).port;
    await s.close();
    await assert.rejects(
      waitForHealthy({ url: `http://127.0.0.1:${port}/health`, timeoutMs: 1200 }),
      (err: Error) => err instanceof LifeboatError && /ECONNREFUSED/.test(err.message),
    );
    await assert.rejects(
      waitForHealthy({ url: `https://127.0.0.1:${port}/health`, timeoutMs: 1200 }),
      (err: Error) => err instanceof LifeboatError && /ECONNREFUSED/.test(err.message),
    );
  });

  it('a cancel stops the polling', async () => {
    const s = await server(() => ({ status: 503, body: '' }));
    const ac = new AbortController();
    try {
      const p = waitForHealthy({ url: s.url, timeoutMs: 30_000 }, ac.signal);
      setTimeout(() => ac.abort(), 300);
      await assert.rejects(p, CancelledError);
    } finally {
      await s.close();
    }
  });
});
