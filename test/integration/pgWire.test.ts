import * as assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { PgConnection, PgServerError, WireScriptSink } from '../../src/core/postgres';
import { docker } from './harness';

// The demo stack's sms-db: host networking on 55432. Only temporary tables and failed
// transactions are used, so sms_db is left as it was.
const CONTAINER = 'sms-db';

async function password(): Promise<string> {
  const env = (await docker.getContainer(CONTAINER).inspect()).Config.Env ?? [];
  return (env.find((e) => e.startsWith('POSTGRES_PASSWORD=')) ?? '').slice('POSTGRES_PASSWORD='.length);
}

type PgMessage = Parameters<Parameters<PgConnection['listen']>[0]>[0];

const connect = async () =>
  PgConnection.connect({ host: '127.0.0.1', port: 55432, user: 'sms_user', database: 'sms_db', password: await password() });

/** The messages of one simple query, up to its ReadyForQuery. */
function answers(conn: PgConnection): Promise<PgMessage[]> {
  const got: PgMessage[] = [];
  return new Promise((resolve, reject) => {
    conn.listen((m) => {
      got.push(m);
      if (m.type === 'Z') resolve(got);
    });
    conn.whenClosed(reject);
  });
}

/** Resolves once the session has ended (the sink ends it after COMMIT, and drops it on an error). */
const closed = (conn: PgConnection) => new Promise<void>((resolve) => conn.whenClosed(() => resolve()));

describe('the PostgreSQL wire protocol against the real server (sms-db)', function () {
  this.timeout(60_000);

  it('a row larger than one socket read arrives whole; messages that came before a listener are not lost', async () => {
    const conn = await connect();
    try {
      assert.equal(conn.query("SELECT repeat('x', 300000) AS big, 2 AS small"), true);
      // Let the answer arrive before anyone listens: it waits in the queue.
      await new Promise((r) => setTimeout(r, 500));
      const got = await answers(conn);
      assert.deepEqual(
        got.map((m) => m.type),
        ['T', 'D', 'C', 'Z'],
      );
      const row = got[1].body;
      // Two columns: a 300,000-byte text, then "2".
      assert.equal(row.readInt16BE(0), 2);
      assert.equal(row.readInt32BE(2), 300000);
      assert.equal(row.subarray(6, 6 + 300000).toString(), 'x'.repeat(300000));
    } finally {
      conn.end();
    }
    let closed: Error | undefined;
    await new Promise<void>((resolve) => setTimeout(resolve, 200));
    conn.whenClosed((err) => (closed = err));
    assert.ok(closed, 'a listener added after the end is told at once');
  });

  it('a script statement larger than the socket buffer is sent whole, and the script commits', async () => {
    const conn = await connect();
    const sink = new WireScriptSink(conn);
    const long = 'y'.repeat(8 * 1024 * 1024);
    const script = `CREATE TEMP TABLE lifeboat_wire (v text);\nINSERT INTO lifeboat_wire VALUES ('${long}');\nSELECT 1;\n`;
    await pipeline(Readable.from([Buffer.from(script)]), sink);
    await closed(conn);
  });

  it("a server error names the script's line, cut to 200 characters, on the script's last line too", async () => {
    for (const [script, line] of [
      [`SELECT 1;\nSELECT ${'1 + '.repeat(70)}nope_${'z'.repeat(10)}();\n`, `SELECT ${'1 + '.repeat(70)}nope_`],
      ['SELECT 1;\nSELECT nope_at_the_end()', 'SELECT nope_at_the_end()'],
    ] as const) {
      const conn = await connect();
      await assert.rejects(pipeline(Readable.from([Buffer.from(script)]), new WireScriptSink(conn)), (err: Error) => {
        assert.ok(err instanceof PgServerError, String(err));
        assert.equal(err.code, '42883', err.message);
        if (line.length > 200) {
          assert.equal(err.context?.length, 201);
          assert.ok(err.context?.endsWith('…'));
          assert.ok(line.startsWith(err.context!.slice(0, 200)));
        } else {
          assert.equal(err.context, line);
        }
        return true;
      });
      await closed(conn);
    }
  });
});
