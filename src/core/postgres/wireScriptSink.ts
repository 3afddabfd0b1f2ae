import { Writable } from 'node:stream';
import { PgConnection, PgMessage, PgServerError, errorFields } from './pgConnection';
import { ScriptPiece, SqlScriptSplitter, UnsupportedScriptError } from './sqlScriptSplitter';

/**
 * The end of a restore pipeline that talks to PostgreSQL itself instead of through psql in the
 * container: the script's statements go as simple queries, pipelined, and its COPY rows as
 * COPY data, all inside one transaction that commits only when the whole script ran without
 * an error. The first error stops it (psql's ON_ERROR_STOP); closing the connection then rolls
 * everything back. Nothing is committed when the input ends early or the sink is destroyed.
 */
export class WireScriptSink extends Writable {
  /** Rows per COPY, in order, as the server counted them. */
  readonly copyCounts: number[] = [];
  private readonly splitter = new SqlScriptSplitter();
  /** Queries sent and not yet answered by ReadyForQuery, oldest first. */
  private readonly pending: Buffer[] = [];
  private firstError: Error | undefined;
  private lastTag = '';
  private copyStarted: { resolve: () => void; reject: (err: Error) => void } | undefined;
  private allAnswered: { resolve: () => void; reject: (err: Error) => void } | undefined;
  private committing = false;

  constructor(private readonly conn: PgConnection) {
    super({ highWaterMark: 1024 * 1024 });
    conn.listen((m) => this.onMessage(m));
    conn.whenClosed((err) => this.fail(this.committing && this.pending.length === 0 ? undefined : err));
    this.send('BEGIN');
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    let pieces: ScriptPiece[];
    try {
      pieces = this.splitter.push(chunk);
    } catch (err) {
      done(err as Error);
      return;
    }
    this.play(pieces).then(() => done(), done);
  }

  override _final(done: (err?: Error | null) => void): void {
    const finish = async () => {
      await this.play(this.splitter.end());
      this.committing = true;
      this.send('COMMIT');
      // COMMIT was just queued, so an answer is always still to come.
      await new Promise<void>((resolve, reject) => {
        if (this.firstError) reject(this.firstError);
        else this.allAnswered = { resolve, reject };
      });
      // An aborted transaction answers COMMIT with ROLLBACK: never call that a success. (An
      // error from the server has already rejected the wait above.)
      if (this.lastTag !== 'COMMIT') throw new Error(`the server answered COMMIT with ${this.lastTag || 'nothing'}`);
      this.conn.end();
    };
    finish().then(() => done(), done);
  }

  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    // Ending the session before COMMIT rolls the whole script back. After a failure it ends
    // too, even when every answer (COMMIT's ROLLBACK included) came in the same read as the
    // error: nothing else closes it, and an open session keeps the scratch database in use.
    if (err || !this.committing || this.pending.length) this.conn.destroy();
    done(err);
  }

  private async play(pieces: ScriptPiece[]): Promise<void> {
    for (const p of pieces) {
      if (this.firstError) throw this.firstError;
      if (p.kind === 'sql') {
        const roomLeft = this.send(p.text);
        if (p.copy) {
          await new Promise<void>((resolve, reject) => (this.copyStarted = { resolve, reject }));
        } else if (!roomLeft) {
          await this.conn.drain();
        }
      } else if (p.kind === 'data') {
        if (!this.conn.copyData(p.data)) await this.conn.drain();
      } else {
        this.conn.copyDone();
      }
    }
  }

  private send(text: Buffer | string): boolean {
    const body = typeof text === 'string' ? Buffer.from(text) : text;
    this.pending.push(body);
    return this.conn.query(body);
  }

  private onMessage(m: PgMessage): void {
    switch (m.type) {
      case 'C': {
        this.lastTag = m.body.toString('utf8', 0, Math.max(0, m.body.length - 1));
        const copied = /^COPY (\d+)$/.exec(this.lastTag);
        if (copied) this.copyCounts.push(Number(copied[1]));
        break;
      }
      case 'E': {
        const fields = errorFields(m.body);
        this.fail(new PgServerError(fields, excerpt(this.pending[0], fields.P)));
        break;
      }
      case 'G':
        if (this.copyStarted) {
          this.copyStarted.resolve();
          this.copyStarted = undefined;
        } else {
          // A COPY the splitter did not see coming: the stream is out of step; stop here.
          this.fail(new UnsupportedScriptError('the server started a COPY the script did not announce'));
          this.conn.destroy();
        }
        break;
      case 'H':
      case 'W':
        this.fail(new UnsupportedScriptError('the script asks the server for a COPY to the client'));
        this.conn.destroy();
        break;
      case 'Z':
        this.pending.shift();
        if (this.copyStarted && this.pending.length === 0) {
          // The COPY's own query (always the newest while waiting) ended without starting it.
          this.fail(new UnsupportedScriptError('a COPY FROM STDIN did not start'));
        }
        if (this.pending.length === 0 && this.allAnswered) {
          this.allAnswered.resolve();
          this.allAnswered = undefined;
        }
        break;
      default:
      // Notices, rows of the script's SELECTs, parameter changes: nothing to act on.
    }
  }

  private fail(err: Error | undefined): void {
    if (!err) return;
    this.firstError ??= err;
    const e = this.firstError;
    this.copyStarted?.reject(e);
    this.copyStarted = undefined;
    this.allAnswered?.reject(e);
    this.allAnswered = undefined;
  }
}

/** The line of `query` at the server's 1-based character `position`, shortened. */
function excerpt(query: Buffer | undefined, position: string | undefined): string | undefined {
  const at = Number(position);
  if (!query || !Number.isInteger(at) || at < 1) return undefined;
  const text = query.toString('utf8');
  const start = text.lastIndexOf('\n', at - 1) + 1;
  const end = text.indexOf('\n', at - 1);
  const line = text.slice(start, end === -1 ? undefined : end).trim();
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}
