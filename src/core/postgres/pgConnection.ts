import { createHash } from 'node:crypto';
import { Socket, connect, isIP } from 'node:net';
import { TLSSocket, connect as tlsConnect, checkServerIdentity } from 'node:tls';
import { ScramClient } from './pgScram';
import { PgSsl, PgSslError } from './pgSsl';

export interface PgConnectOptions {
  host: string;
  port: number;
  user: string;
  database: string;
  password?: string;
  applicationName?: string;
  /** For the TCP connect and the login together. */
  timeoutMs?: number;
  /** TLS as libpq's `sslmode` means it; `prefer` when not given, as in libpq. */
  ssl?: PgSsl;
}

export interface PgMessage {
  type: string;
  body: Buffer;
}

/** An ErrorResponse, with the server's fields (`C` SQLSTATE, `M` message, `D` detail, `H` hint, `P` position). */
export class PgServerError extends Error {
  constructor(
    readonly fields: Record<string, string>,
    /** The line of the script the error points at, when the server gave a position. */
    readonly context?: string,
  ) {
    super(`${fields.V ?? fields.S ?? 'ERROR'}:  ${fields.M ?? 'unknown error'}`);
    this.name = 'PgServerError';
  }

  /** Set when the login that failed ran over TLS (libpq's `prefer` then tries plain TCP). */
  overTls = false;

  get code(): string | undefined {
    return this.fields.C;
  }
}

/** The connection ended before the work did (a stopped container, a killed backend). */
export class PgConnectionLost extends Error {
  constructor(cause: string) {
    super(`the connection to the database server was lost (${cause})`);
    this.name = 'PgConnectionLost';
  }
}

const PROTOCOL_3 = 196608;
const SSL_REQUEST = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);
/** pg_hba has no line for this login (e.g. `hostssl` only, or `hostnossl` only). */
const NO_HBA_LINE = '28000';

/**
 * A PostgreSQL frontend/backend protocol (version 3) connection: enough of it to log in
 * (trust, password, md5, SCRAM-SHA-256) and to stream a script as simple queries and COPY data.
 * Messages arrive through `listen`, in order, as soon as they are read, so the server's
 * replies never pile up behind a client that is busy writing.
 */
export class PgConnection {
  readonly parameters = new Map<string, string>();
  /** How the server had this session log in. */
  auth: 'trust' | 'password' | 'md5' | 'SCRAM-SHA-256' = 'trust';
  private buffered: Buffer[] = [];
  private bufferedBytes = 0;
  private handler: ((m: PgMessage) => void) | undefined;
  private queue: PgMessage[] = [];
  private closedWith: Error | undefined;
  private onClose: ((err: Error) => void)[] = [];

  private constructor(
    private readonly socket: Socket,
    /** The TLS protocol the session runs over (e.g. `TLSv1.3`), undefined for plain TCP. */
    readonly tls?: string,
  ) {
    socket.on('data', (d: Buffer) => this.read(d));
    const closed = (err: Error) => {
      if (this.closedWith) return;
      this.closedWith = err;
      for (const f of this.onClose.splice(0)) f(err);
    };
    socket.on('error', (err) => closed(new PgConnectionLost((err as NodeJS.ErrnoException).code ?? err.message)));
    socket.on('close', () => closed(new PgConnectionLost('closed by the server')));
    // Paused while TLS was asked for, so no byte after the answer was dropped.
    socket.resume();
  }

  /**
   * Logs in, with TLS as `opts.ssl.mode` says (libpq's rules): `disable` never; `allow` only
   * when a plain login has no pg_hba line; `prefer` first, and plain again when the server has
   * no TLS, the handshake breaks or pg_hba wants plain TCP; `require` always, certificate
   * unchecked; `verify-ca` against the CA; `verify-full` against the CA and the host name.
   */
  static async connect(opts: PgConnectOptions): Promise<PgConnection> {
    const ssl = opts.ssl ?? { mode: 'prefer' };
    const noHbaLine = (err: unknown) => err instanceof PgServerError && err.code === NO_HBA_LINE;
    if (ssl.mode === 'disable') return PgConnection.open(opts);
    if (ssl.mode === 'allow') {
      try {
        return await PgConnection.open(opts);
      } catch (err) {
        if (!noHbaLine(err)) throw err;
        return PgConnection.open(opts, { mode: 'require' });
      }
    }
    if (ssl.mode === 'prefer') {
      try {
        return await PgConnection.open(opts, ssl);
      } catch (err) {
        if (!(err instanceof PgSslError && err.handshake) && !(noHbaLine(err) && (err as PgServerError).overTls)) throw err;
        return PgConnection.open(opts);
      }
    }
    return PgConnection.open(opts, ssl);
  }

  private static async open(opts: PgConnectOptions, ssl?: PgSsl): Promise<PgConnection> {
    let socket: Socket = connect({ host: opts.host, port: opts.port });
    socket.setNoDelay(true);
    const ms = opts.timeoutMs ?? 3000;
    const timer = setTimeout(() => socket.destroy(new Error(`no answer from ${opts.host}:${opts.port} within ${ms} ms`)), ms);
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', resolve);
        socket.once('error', (err: NodeJS.ErrnoException) => reject(new PgConnectionLost(err.code ?? err.message)));
        socket.once('close', () => reject(new PgConnectionLost('closed by the server')));
      });
      let tls: string | undefined;
      if (ssl) {
        const upgraded = await startTls(socket, opts, ssl);
        if (upgraded) {
          socket = upgraded;
          tls = upgraded.getProtocol() ?? 'TLS';
        }
      }
      const conn = new PgConnection(socket, tls);
      try {
        await conn.login(opts);
      } catch (err) {
        if (err instanceof PgServerError) err.overTls = tls !== undefined;
        throw err;
      }
      return conn;
    } catch (err) {
      socket.destroy();
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  /** From now on every message goes to `handler` (none is lost: queued ones come first). */
  listen(handler: (m: PgMessage) => void): void {
    this.handler = handler;
    for (const m of this.queue.splice(0)) handler(m);
  }

  /** Calls `f` once when the connection ends (at once when it already has). */
  whenClosed(f: (err: Error) => void): void {
    if (this.closedWith) f(this.closedWith);
    else this.onClose.push(f);
  }

  get closed(): boolean {
    return this.closedWith !== undefined;
  }

  /** Sends a simple Query. Returns false when the socket wants a `drain` before more. */
  query(text: Buffer | string): boolean {
    const body = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
    this.socket.cork();
    this.socket.write(header('Q', body.length + 1));
    this.socket.write(body);
    const ok = this.socket.write(ZERO);
    this.socket.uncork();
    return ok;
  }

  copyData(data: Buffer): boolean {
    this.socket.cork();
    this.socket.write(header('d', data.length));
    const ok = this.socket.write(data);
    this.socket.uncork();
    return ok;
  }

  copyDone(): boolean {
    return this.socket.write(header('c', 0));
  }

  async drain(): Promise<void> {
    if (!this.socket.writableNeedDrain) return;
    await new Promise<void>((resolve, reject) => {
      this.socket.once('drain', resolve);
      this.whenClosed(reject);
    });
  }

  /** Ends the session politely: the server rolls back whatever was not committed. */
  end(): void {
    if (this.closedWith) return;
    this.socket.end(header('X', 0));
  }

  destroy(): void {
    this.socket.destroy();
  }

  private read(d: Buffer): void {
    this.buffered.push(d);
    this.bufferedBytes += d.length;
    if (this.bufferedBytes < 5) return;
    let buf = this.buffered.length === 1 ? this.buffered[0] : Buffer.concat(this.buffered, this.bufferedBytes);
    let pos = 0;
    while (buf.length - pos >= 5) {
      const len = buf.readInt32BE(pos + 1);
      if (buf.length - pos < 1 + len) break;
      const m = { type: String.fromCharCode(buf[pos]), body: buf.subarray(pos + 5, pos + 1 + len) };
      pos += 1 + len;
      if (this.handler) this.handler(m);
      else this.queue.push(m);
    }
    buf = buf.subarray(pos);
    this.buffered = buf.length ? [buf] : [];
    this.bufferedBytes = buf.length;
  }

  private next(): Promise<PgMessage> {
    const queued = this.queue.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      this.handler = (m) => {
        this.handler = undefined;
        resolve(m);
      };
      this.whenClosed(reject);
    });
  }

  private async login(opts: PgConnectOptions): Promise<void> {
    const params: Buffer[] = [];
    for (const [k, v] of Object.entries({
      user: opts.user,
      database: opts.database,
      application_name: opts.applicationName ?? 'lifeboat',
      client_encoding: 'UTF8',
    })) {
      params.push(Buffer.from(`${k}\0${v}\0`, 'utf8'));
    }
    params.push(ZERO);
    const body = Buffer.concat(params);
    const start = Buffer.alloc(8);
    start.writeInt32BE(body.length + 8, 0);
    start.writeInt32BE(PROTOCOL_3, 4);
    this.socket.write(Buffer.concat([start, body]));

    let scram: ScramClient | undefined;
    const needPassword = (): string => {
      if (opts.password === undefined) throw new Error('the server asks for a password and none is known');
      return opts.password;
    };
    for (;;) {
      const m = await this.next();
      if (m.type === 'E') throw new PgServerError(errorFields(m.body));
      if (m.type === 'S') {
        const [k, v] = m.body.toString('utf8').split('\0');
        this.parameters.set(k, v);
      } else if (m.type === 'Z') {
        return;
      } else if (m.type === 'R') {
        const code = m.body.readInt32BE(0);
        if (code === 0) continue;
        if (code === 3) {
          this.auth = 'password';
          this.socket.write(message('p', Buffer.from(`${needPassword()}\0`, 'utf8')));
        } else if (code === 5) {
          this.auth = 'md5';
          const inner = md5hex(needPassword() + opts.user);
          const outer = md5hex(Buffer.concat([Buffer.from(inner), m.body.subarray(4, 8)]));
          this.socket.write(message('p', Buffer.from(`md5${outer}\0`)));
        } else if (code === 10) {
          const mechanisms = m.body.subarray(4).toString('utf8').split('\0');
          if (!mechanisms.includes('SCRAM-SHA-256'))
            throw new Error(`the server offers no login Lifeboat speaks (${mechanisms.filter(Boolean).join(', ')})`);
          scram = new ScramClient(needPassword());
          this.auth = 'SCRAM-SHA-256';
          const first = Buffer.from(scram.clientFirst(), 'utf8');
          const len = Buffer.alloc(4);
          len.writeInt32BE(first.length);
          this.socket.write(message('p', Buffer.concat([Buffer.from('SCRAM-SHA-256\0'), len, first])));
        } else if (code === 11 && scram) {
          this.socket.write(message('p', Buffer.from(scram.clientFinal(m.body.subarray(4).toString('utf8')), 'utf8')));
        } else if (code === 12 && scram) {
          scram.checkServerFinal(m.body.subarray(4).toString('utf8'));
        } else {
          throw new Error(`the server asks for a login Lifeboat does not speak (authentication request ${code})`);
        }
      }
      // BackendKeyData, NoticeResponse: nothing to do while logging in.
    }
  }
}

const ZERO = Buffer.from([0]);

/** Node's codes for a certificate that does not chain to the CA given (the name check is apart). */
const CHAIN_CODES = /^(UNABLE_TO_|SELF_SIGNED|DEPTH_ZERO|CERT_|INVALID_CA|PATH_LENGTH)/;

/**
 * Asks the server for TLS (SSLRequest) and, when it agrees, runs the handshake over the same
 * socket. Undefined when the server said no and `ssl.mode` lets the session go on in plain TCP.
 */
async function startTls(socket: Socket, opts: PgConnectOptions, ssl: PgSsl): Promise<TLSSocket | undefined> {
  const where = `${opts.host}:${opts.port}`;
  const answer = await new Promise<Buffer>((resolve, reject) => {
    const fail = (err: Error) => reject(new PgConnectionLost((err as NodeJS.ErrnoException).code ?? err.message));
    const closed = () => reject(new PgConnectionLost('closed by the server'));
    socket.once('error', fail);
    socket.once('close', closed);
    socket.once('data', (d: Buffer) => {
      socket.pause();
      socket.off('error', fail);
      socket.off('close', closed);
      resolve(d);
    });
    socket.write(SSL_REQUEST);
  });
  // Anything after the one-byte answer came before the handshake, unprotected: refused, as
  // libpq does since CVE-2021-23214.
  if (answer.length !== 1)
    throw new PgSslError(`the server at ${where} sent ${answer.length} bytes where its one-byte answer to the TLS request belongs`);
  if (answer[0] !== 0x53) {
    if (ssl.mode === 'prefer' || ssl.mode === 'allow') return undefined;
    throw new PgSslError(
      `the server at ${where} does not accept TLS connections, and sslmode "${ssl.mode}" requires one (turn ssl on in the server's postgresql.conf, or set PGSSLMODE to "prefer")`,
    );
  }
  const verify = ssl.mode === 'verify-ca' || ssl.mode === 'verify-full';
  const tls = tlsConnect({
    socket,
    ...(ssl.ca && ssl.ca !== 'system' ? { ca: ssl.ca } : {}),
    rejectUnauthorized: verify,
    ...(isIP(opts.host) ? {} : { servername: opts.host }),
    // verify-ca trusts any name the CA signed; verify-full wants the one connected to.
    checkServerIdentity: ssl.mode === 'verify-full' ? (_host, cert) => checkServerIdentity(opts.host, cert) : () => undefined,
  });
  // The raw socket's own errors reach the TLS socket; this keeps them from being unhandled.
  socket.on('error', () => undefined);
  try {
    await new Promise<void>((resolve, reject) => {
      tls.once('secureConnect', resolve);
      tls.once('error', reject);
      tls.once('close', () => reject(new PgConnectionLost('closed by the server during the TLS handshake')));
    });
  } catch (err) {
    tls.destroy();
    if (err instanceof PgConnectionLost) throw err;
    const e = err as NodeJS.ErrnoException & { reason?: string };
    const code = e.code ?? '';
    if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
      throw new PgSslError(
        `the certificate of the server at ${where} is not for "${opts.host}" (${e.reason ?? e.message}), and sslmode "verify-full" checks the name: connect by a name the certificate holds, or set PGSSLMODE to "verify-ca"`,
      );
    }
    if (CHAIN_CODES.test(code)) {
      throw new PgSslError(
        `the certificate of the server at ${where} was not signed by the CA in ${ssl.caSource ? `"${ssl.caSource}"` : 'the CA list'} (${code}): point PGSSLROOTCERT at the CA that signed the server's certificate`,
      );
    }
    throw new PgSslError(`the TLS handshake with the server at ${where} failed (${code || e.message})`, true);
  }
  return tls;
}

function header(type: string, bodyBytes: number): Buffer {
  const h = Buffer.alloc(5);
  h[0] = type.charCodeAt(0);
  h.writeInt32BE(bodyBytes + 4, 1);
  return h;
}

function message(type: string, body: Buffer): Buffer {
  return Buffer.concat([header(type, body.length), body]);
}

function md5hex(data: string | Buffer): string {
  return createHash('md5').update(data).digest('hex');
}

/** The fields of an ErrorResponse or NoticeResponse body. */
export function errorFields(body: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let pos = 0;
  while (pos < body.length && body[pos] !== 0) {
    const end = body.indexOf(0, pos + 1);
    if (end === -1) break;
    out[String.fromCharCode(body[pos])] = body.subarray(pos + 1, end).toString('utf8');
    pos = end + 1;
  }
  return out;
}
