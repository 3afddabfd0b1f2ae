import { createHash, Hash } from 'node:crypto';
import { Transform, TransformCallback } from 'node:stream';

/** Passes bytes through while counting them and computing their sha256. */
export class HashStream extends Transform {
  private readonly hash: Hash = createHash('sha256');
  bytes = 0;

  constructor(private readonly onBytes?: (bytes: number) => void) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    this.onBytes?.(this.bytes);
    done(null, chunk);
  }

  private digestValue?: string;

  /** Hex sha256 of everything that passed; call after the stream finished. */
  digest(): string {
    this.digestValue ??= this.hash.digest('hex');
    return this.digestValue;
  }
}
