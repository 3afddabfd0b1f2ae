import * as assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { PgConnection, PgServerError, UnsupportedScriptError, WireScriptSink } from '../../../src/core/postgres';
import { FakePgServer, FakeScript, FakeSession, answerByFirstWord, complete, message, ready, serverError } from './fakePgServer';

/**
 * WireScriptSink against a server that answers out of step with the script (a COPY nobody
 * announced, a COPY to the client, a COMMIT that did not commit): the sink must never report
 * such a load as committed. Real PostgreSQL is in test/integration/pgWire.test.ts.
 */
describe('WireScriptSink against a server out of step (scripted server)', () => {
  let server: FakePgServer;
  afterEach(() => server?.stop());

  const load = async (script: FakeScript): Promise<{ session: FakeSession; conn: PgConnection; sink: WireScriptSink }> => {
    server = await new FakePgServer(script).start();
    const conn = await PgConnection.connect({ host: '127.0.0.1', port: server.port, user: 'u', database: 'd', ssl: { mode: 'disable' } });
    const sink = new WireScriptSink(conn);
    return { session: server.sessions[0], conn, sink };
  };
  const run = (sink: WireScriptSink, sql: string) => pipeline(Readable.from([Buffer.from(sql)]), sink);
  /** CopyInResponse or CopyOutResponse: text format, no columns. */
  const copyResponse = (type: 'G' | 'H' | 'W') => message(type, Buffer.concat([Buffer.from([0]), Buffer.from([0, 0])]));

  it('a COMMIT the server answers with ROLLBACK, without an error, is a failure', async () => {
    const sql = 'CREATE TABLE t (a int);\n';
    const { sink, session } = await load({
      query: (s, text) =>
        /^COMMIT/.test(text) ? s.socket.write(Buffer.concat([complete('ROLLBACK'), ready()])) : answerByFirstWord(s, text),
    });
    await assert.rejects(run(sink, sql), /the server answered COMMIT with ROLLBACK/);
    assert.deepEqual(session.queries.at(-1), 'COMMIT');
  });

  it('a server that completes no command at all is not taken to have committed', async () => {
    const sql = 'CREATE TABLE t (a int);\n';
    const { sink } = await load({ query: (s) => s.socket.write(ready()) });
    await assert.rejects(run(sink, sql), /the server answered COMMIT with nothing/);
  });

  it('an error that arrives after the last statement was sent, before COMMIT, fails the load', async () => {
    // Over 1 MiB of whole statements goes out with the write itself; the end then has nothing
    // left to send but COMMIT, and comes only once the error is in.
    const sql = `SELECT nope();\nSELECT '${'x'.repeat(1024 * 1024)}';\n`;
    const { sink, session } = await load({
      query: (s, text) =>
        /nope/.test(text)
          ? s.socket.write(
              Buffer.concat([serverError({ S: 'ERROR', C: '42883', M: 'function nope() does not exist', P: '8' }), ready('E')]),
            )
          : answerByFirstWord(s, text),
    });
    const failed = new Promise<Error>((r) => sink.once('error', r));
    sink.write(Buffer.from(sql));
    await new Promise<void>((r) => {
      const wait = () => (session.queries.some((q) => /nope/.test(q)) ? setTimeout(r, 100) : setTimeout(wait, 10));
      wait();
    });
    sink.end();
    const err = await failed;
    assert.ok(err instanceof PgServerError && err.code === '42883', String(err));
    assert.equal(err.context, 'SELECT nope();');
    assert.equal(session.queries.filter((q) => q !== 'COMMIT').length, 2, 'BEGIN and the one run of statements, nothing after them');
  });

  it('a COPY the script did not announce stops the load and closes the connection', async () => {
    const sql = 'SELECT 1;\nSELECT 2;\n';
    const { sink, conn } = await load({
      query: (s, text) => (/SELECT 1/.test(text) ? s.socket.write(copyResponse('G')) : answerByFirstWord(s, text)),
    });
    await assert.rejects(
      run(sink, sql),
      (err: Error) => err instanceof UnsupportedScriptError && /started a COPY the script did not announce/.test(err.message),
    );
    await new Promise<void>((r) => conn.whenClosed(() => r()));
    assert.ok(conn.closed, 'the session is closed, so the server rolls back');
  });

  for (const type of ['H', 'W'] as const) {
    it(`a COPY to the client (${type === 'H' ? 'CopyOutResponse' : 'CopyBothResponse'}) stops the load and closes the connection`, async () => {
      // The splitter refuses a COPY TO STDOUT in the script; a server that starts one anyway is out of step.
      const sql = 'SELECT 1;\n';
      const { sink, conn } = await load({
        query: (s, text) => (/SELECT 1/.test(text) ? s.socket.write(copyResponse(type)) : answerByFirstWord(s, text)),
      });
      await assert.rejects(
        run(sink, sql),
        (err: Error) => err instanceof UnsupportedScriptError && /asks the server for a COPY to the client/.test(err.message),
      );
      await new Promise<void>((r) => conn.whenClosed(() => r()));
      assert.ok(conn.closed, 'the session is closed, so the server rolls back');
    });
  }

  it('a COPY FROM STDIN the server ends without starting it fails before any row is sent', async () => {
    const sql = 'COPY public.t (a) FROM stdin;\n1\n2\n\\.\n';
    const { sink, session } = await load({
      query: (s, text) =>
        /FROM stdin/.test(text) ? s.socket.write(Buffer.concat([complete('COPY 0'), ready()])) : answerByFirstWord(s, text),
    });
    await assert.rejects(
      run(sink, sql),
      (err: Error) => err instanceof UnsupportedScriptError && /a COPY FROM STDIN did not start/.test(err.message),
    );
    assert.ok(!session.types.includes('d'), 'no COPY row was sent');
    assert.ok(!session.queries.includes('COMMIT'), 'nothing was committed');
  });
});
