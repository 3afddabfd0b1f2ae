import { Transform, TransformCallback } from 'node:stream';

const HEADER = 8;
const STDOUT = 1;
const STDERR = 2;

/**
 * Splits Docker's multiplexed exec stream (8-byte frame headers when Tty is false) into
 * stdout, which it emits, and stderr, which it hands to `onStderr`.
 *
 * A Transform rather than `modem.demuxStream`: that one writes into its outputs without
 * waiting for `drain`, so a fast pg_dump and a slow gzip pile the whole dump up in memory.
 * Here stream backpressure reaches the socket, and so pg_dump.
 */
export class DockerDemux extends Transform {
  private pending: Buffer = Buffer.alloc(0);
  private frameType = 0;
  private frameLeft = 0;

  constructor(private readonly onStderr: (chunk: Buffer) => void) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    let buf = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = Buffer.alloc(0);
    while (buf.length) {
      if (this.frameLeft === 0) {
        if (buf.length < HEADER) {
          this.pending = Buffer.from(buf);
          break;
        }
        this.frameType = buf[0];
        this.frameLeft = buf.readUInt32BE(4);
        buf = buf.subarray(HEADER);
        continue;
      }
      const take = Math.min(this.frameLeft, buf.length);
      const payload = buf.subarray(0, take);
      this.frameLeft -= take;
      buf = buf.subarray(take);
      if (this.frameType === STDOUT) this.push(payload);
      else if (this.frameType === STDERR) this.onStderr(payload);
      // Stream type 0 (stdin echo) carries nothing we need.
    }
    done();
  }

  override _flush(done: TransformCallback): void {
    if (this.pending.length || this.frameLeft) {
      done(new Error(`Docker exec stream ended inside a frame (${this.frameLeft} bytes missing)`));
      return;
    }
    done();
  }
}

/** Keeps the last `limit` bytes of a tool's stderr, enough for its error without unbounded growth. */
export class StderrTail {
  private chunks: Buffer[] = [];
  private size = 0;

  constructor(private readonly limit = 64 * 1024) {}

  push = (chunk: Buffer): void => {
    this.chunks.push(Buffer.from(chunk));
    this.size += chunk.length;
    while (this.size - this.chunks[0].length >= this.limit) {
      this.size -= this.chunks.shift()!.length;
    }
  };

  text(): string {
    const all = Buffer.concat(this.chunks);
    return all
      .subarray(Math.max(0, all.length - this.limit))
      .toString('utf8')
      .trim();
  }
}

/** Builds a frame the way the engine does; used by tests and by nothing else. */
export function dockerFrame(stream: 1 | 2, payload: Buffer | string): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const header = Buffer.alloc(HEADER);
  header[0] = stream;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}
