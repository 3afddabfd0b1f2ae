import { Writable } from 'node:stream';
import type { SFTPWrapper } from 'ssh2';
import { channelLost, requestError, sftpRequest } from './sftpChannel';

// Writes in flight at once. Each waits a round trip for its answer; keeping several on the wire
// fills the link the way scp does, while memory stays bounded (this many chunks).
const WINDOW = 64;

/**
 * A Writable onto an open SFTP file handle that keeps up to WINDOW writes in flight at their
 * offsets (ssh2's own stream waits for each one). On finish every write is answered, the file
 * is flushed to the server's disk (fsync@openssh.com, when offered) and the handle closed; on
 * destroy the handle is closed and nothing more is sent.
 */
export class SftpWriteStream extends Writable {
  private position = 0;
  private inFlight = 0;
  private failure?: Error;
  private blocked?: () => void;
  private drained?: () => void;
  private handleClosed = false;

  private constructor(
    private readonly sftp: SFTPWrapper,
    private readonly handle: Buffer,
  ) {
    super({ highWaterMark: 256 * 1024 });
  }

  /** Creates or truncates `path` (mode 600) and opens it for writing. */
  static open(sftp: SFTPWrapper, path: string): Promise<SftpWriteStream> {
    return sftpRequest<Buffer>(sftp, (done) => sftp.open(path, 'w', { mode: 0o600 }, done)).then(
      (handle) => new SftpWriteStream(sftp, handle),
    );
  }

  get bytesWritten(): number {
    return this.position;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.failure ??= channelLost(this.sftp);
    if (this.failure) return callback(this.failure);
    this.inFlight++;
    this.sftp.write(this.handle, chunk, 0, chunk.length, this.position, (err) => this.answered(err));
    this.position += chunk.length;
    if (this.inFlight < WINDOW) callback();
    else this.blocked = () => callback(this.failure);
  }

  override _final(callback: (error?: Error | null) => void): void {
    const finish = () => {
      if (this.failure) return callback(this.failure);
      this.flush()
        .then(() => this.closeHandle())
        .then(() => callback(), callback);
    };
    if (this.inFlight === 0) finish();
    else this.drained = finish;
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.failure ??= error ?? undefined;
    // Not waited for: on a connection that has just dropped, no answer would ever come.
    this.closeHandle().catch(() => undefined);
    callback(error);
  }

  private answered(err: Error | null | undefined): void {
    this.inFlight--;
    if (err) this.failure ??= requestError(err);
    const blocked = this.blocked;
    this.blocked = undefined;
    blocked?.();
    if (this.inFlight === 0 && this.drained) {
      const drained = this.drained;
      this.drained = undefined;
      drained();
    }
  }

  /** Asks the server to put the data on its disk before the copy is read back and renamed. */
  private flush(): Promise<void> {
    return sftpRequest(this.sftp, (done) => this.sftp.ext_openssh_fsync(this.handle, done)).catch((err: Error) => {
      // A server without fsync@openssh.com (ssh2 refuses at once): its close is as far as SFTP reaches.
      if (!/does not support/i.test(err.message)) throw err;
    });
  }

  private closeHandle(): Promise<void> {
    if (this.handleClosed) return Promise.resolve();
    this.handleClosed = true;
    return sftpRequest(this.sftp, (done) => this.sftp.close(this.handle, done));
  }
}
