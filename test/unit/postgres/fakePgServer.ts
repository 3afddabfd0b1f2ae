import { AddressInfo, Server, Socket, createServer } from 'node:net';

/**
 * A socket server that answers the PostgreSQL protocol as a test scripts it, for what a real
 * server does not do on demand (an unknown login, a reply cut into pieces, a COPY nobody asked
 * for). It fakes the server only: the client under test is the real PgConnection. Real
 * PostgreSQL is in test/integration/pgWire.test.ts and directTls.test.ts.
 */
export interface FakeSession {
  socket: Socket;
  /** The text of each simple Query received, in order. */
  queries: string[];
  /** The type of each message received after the startup message ('Q', 'X', 'p', 'd', 'c'). */
  types: string[];
  /** True when the client asked for TLS first. */
  sslRequested: boolean;
}

export interface FakeScript {
  /** Answers the startup message (default: trust login, ReadyForQuery). */
  startup?: (s: FakeSession) => void;
  /** Answers one Query (default: CommandComplete with the statement's first word, ReadyForQuery). */
  query?: (s: FakeSession, text: string) => void;
  /** Sees every other message the client sends after the startup message. */
  other?: (s: FakeSession, type: string, body: Buffer) => void;
  /** The one-byte answer to an SSLRequest (default 'N': no TLS). */
  sslAnswer?: string;
}

export function message(type: string, body: Buffer | string = Buffer.alloc(0)): Buffer {
  const b = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  const h = Buffer.alloc(5);
  h[0] = type.charCodeAt(0);
  h.writeInt32BE(b.length + 4, 1);
  return Buffer.concat([h, b]);
}

export function int32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
}

export const authOk = (): Buffer => message('R', int32(0));
export const ready = (state = 'I'): Buffer => message('Z', state);
export const complete = (tag: string): Buffer => message('C', `${tag}\0`);
export const serverError = (fields: Record<string, string>): Buffer =>
  message(
    'E',
    Object.entries(fields)
      .map(([k, v]) => `${k}${v}\0`)
      .join('') + '\0',
  );

const SSL_REQUEST_CODE = 80877103;

export class FakePgServer {
  readonly sessions: FakeSession[] = [];
  private server: Server | undefined;
  port = 0;

  constructor(private readonly script: FakeScript = {}) {}

  async start(): Promise<this> {
    this.server = createServer((socket) => this.accept(socket));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    for (const s of this.sessions) s.socket.destroy();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  private accept(socket: Socket): void {
    socket.setNoDelay(true);
    const session: FakeSession = { socket, queries: [], types: [], sslRequested: false };
    this.sessions.push(session);
    let buf = Buffer.alloc(0);
    let started = false;
    socket.on('error', () => undefined);
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        if (!started) {
          if (buf.length < 8) return;
          const len = buf.readInt32BE(0);
          if (buf.length < len) return;
          const code = buf.readInt32BE(4);
          buf = buf.subarray(len);
          if (code === SSL_REQUEST_CODE) {
            session.sslRequested = true;
            socket.write(this.script.sslAnswer ?? 'N');
            continue;
          }
          started = true;
          (this.script.startup ?? ((s) => s.socket.write(Buffer.concat([authOk(), ready()]))))(session);
          continue;
        }
        if (buf.length < 5) return;
        const len = buf.readInt32BE(1);
        if (buf.length < 1 + len) return;
        const type = String.fromCharCode(buf[0]);
        const body = buf.subarray(5, 1 + len);
        buf = buf.subarray(1 + len);
        session.types.push(type);
        if (type === 'Q') {
          const text = body.toString('utf8', 0, body.length - 1);
          session.queries.push(text);
          (this.script.query ?? answerByFirstWord)(session, text);
        } else {
          this.script.other?.(session, type, body);
        }
      }
    });
  }
}

/** CommandComplete with the statement's first word (BEGIN, COMMIT, CREATE…), then ReadyForQuery. */
export function answerByFirstWord(s: FakeSession, text: string): void {
  const word = /^\s*(\w+)/.exec(text)?.[1]?.toUpperCase() ?? 'EMPTY';
  s.socket.write(Buffer.concat([complete(word), ready(word === 'BEGIN' ? 'T' : 'I')]));
}
