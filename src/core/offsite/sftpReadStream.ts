import { Readable } from 'node:stream';
import type { SFTPWrapper } from 'ssh2';
import { channelLost, requestError, sftpRequest } from './sftpChannel';

const CHUNK = 128 * 1024;
// Reads in flight at once, answered in any order and passed on in file order.
const WINDOW = 32;

interface Request {
  position: number;
  buffer: Buffer;
  done: boolean;
  bytes: number;
  error?: Error;
}

/**
 * A Readable over an open SFTP file handle that keeps up to WINDOW reads in flight ahead of the
 * consumer (ssh2's own stream sends one at a time), so at most WINDOW × CHUNK (4 MiB) wait in memory.
 * A short answer that is not the end of the file restarts the reads from where it stopped.
 * `release` is called once when the stream closes, however it ends.
 */
export class SftpReadStream extends Readable {
  private queue: Request[] = [];
  private next = 0;
  private wanted = false;
  private ended = false;
  private handleClosed = false;

  private constructor(
    private readonly sftp: SFTPWrapper,
    private readonly handle: Buffer,
    private readonly release: () => void,
  ) {
    super({ highWaterMark: CHUNK });
  }

  static open(sftp: SFTPWrapper, path: string, release: () => void): Promise<SftpReadStream> {
    return sftpRequest<Buffer>(sftp, (done) => sftp.open(path, 'r', done)).then((handle) => new SftpReadStream(sftp, handle, release));
  }

  override _read(): void {
    this.wanted = true;
    this.pump();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.ended = true;
    this.queue = [];
    // Not waited for: on a connection that has just dropped, no answer would ever come.
    this.closeHandle().catch(() => undefined);
    callback(error);
  }

  private pump(): void {
    while (this.wanted && this.queue[0]?.done) {
      const head = this.queue.shift()!;
      if (head.error) return void this.destroy(head.error);
      if (head.bytes === 0) return this.finish();
      if (head.bytes < head.buffer.length) {
        // Short: the end of the file, or a server that answers in smaller pieces; ask again from here.
        this.queue = [];
        this.next = head.position + head.bytes;
      }
      this.wanted = this.push(head.buffer.subarray(0, head.bytes));
    }
    while (!this.ended && this.queue.length < WINDOW) this.request();
  }

  private request(): void {
    const gone = channelLost(this.sftp);
    if (gone) return void this.destroy(gone);
    const req: Request = { position: this.next, buffer: Buffer.allocUnsafe(CHUNK), done: false, bytes: 0 };
    this.next += CHUNK;
    this.queue.push(req);
    this.sftp.read(this.handle, req.buffer, 0, CHUNK, req.position, (err, bytes) => {
      req.done = true;
      req.bytes = bytes ?? 0;
      if (err) req.error = requestError(err);
      // An answer to a request dropped after a short read, or after the end, changes nothing.
      if (!this.ended && this.queue.includes(req)) this.pump();
    });
  }

  private finish(): void {
    this.ended = true;
    this.queue = [];
    this.closeHandle().then(
      () => this.push(null),
      (err: Error) => this.destroy(err),
    );
  }

  private closeHandle(): Promise<void> {
    if (this.handleClosed) return Promise.resolve();
    this.handleClosed = true;
    // The hold on the connection ends here even when the close is never answered.
    this.release();
    return sftpRequest(this.sftp, (done) => this.sftp.close(this.handle, done));
  }
}
