import { randomBytes } from 'node:crypto';
import { Transform, TransformCallback } from 'node:stream';
import { encodeAgeHeader } from './ageHeader';
import { parseAgeRecipient } from './ageKeys';
import { PAYLOAD_NONCE_BYTES, PLAIN_CHUNK, payloadKey, sealChunk } from './agePayload';
import { DEFAULT_SCRYPT_LOG_N, FILE_KEY_BYTES, wrapScrypt, wrapX25519 } from './ageStanzas';
import { CryptoError } from './cryptoError';

export type AgeEncryptOptions =
  | { passphrase: string | Uint8Array; /** log2 of scrypt's N; default 18 like the age CLI. */ workFactor?: number }
  | { recipients: readonly string[] };

/**
 * Encrypts a stream into the age v1 format, readable by `age -d`. Plaintext is staged one
 * 64 KiB chunk at a time: a chunk is sealed only when the next byte arrives (or the input ends),
 * because the last chunk carries a flag in its nonce. Memory is one chunk whatever the size.
 */
export class AgeEncrypt extends Transform {
  private readonly recipients: Buffer[] = [];
  private stage: Buffer = Buffer.allocUnsafe(PLAIN_CHUNK);
  private staged = 0;
  private counter = 0;
  /** Sealed chunks of one write, pushed together: one 16-byte tag per push would mean a write(2) each. */
  private out: Buffer[] = [];
  private key?: Buffer;
  private header?: Buffer;

  constructor(private readonly opts: AgeEncryptOptions) {
    super({ readableHighWaterMark: 4 * PLAIN_CHUNK });
    if ('passphrase' in opts) {
      if (opts.passphrase.length === 0)
        throw new CryptoError('bad-key', 'the passphrase is empty', 'Choose a passphrase, or use a key file.');
    } else {
      if (opts.recipients.length === 0)
        throw new CryptoError('bad-key', 'no age recipients given', 'Add at least one `age1…` recipient to the settings.');
      this.recipients = opts.recipients.map(parseAgeRecipient);
    }
  }

  override _construct(done: (err?: Error | null) => void): void {
    this.prepare().then(() => done(), done);
  }

  private async prepare(): Promise<void> {
    const fileKey = randomBytes(FILE_KEY_BYTES);
    const stanzas =
      'passphrase' in this.opts
        ? [await wrapScrypt(fileKey, this.opts.passphrase, this.opts.workFactor ?? DEFAULT_SCRYPT_LOG_N)]
        : this.recipients.map((r) => wrapX25519(fileKey, r));
    const nonce = randomBytes(PAYLOAD_NONCE_BYTES);
    this.header = Buffer.concat([encodeAgeHeader(stanzas, fileKey), nonce]);
    this.key = payloadKey(fileKey, nonce);
    fileKey.fill(0);
  }

  private pushHeader(): void {
    if (this.header) {
      this.push(this.header);
      this.header = undefined;
    }
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.pushHeader();
    let off = 0;
    while (off < chunk.length) {
      // A full stage with more input behind it cannot be the last chunk.
      if (this.staged === PLAIN_CHUNK) this.seal(false);
      const n = Math.min(PLAIN_CHUNK - this.staged, chunk.length - off);
      chunk.copy(this.stage, this.staged, off, off + n);
      this.staged += n;
      off += n;
    }
    this.pushSealed();
    done();
  }

  override _flush(done: TransformCallback): void {
    this.pushHeader();
    // An empty input still gets its (empty) last chunk: without it a reader sees a truncation.
    this.seal(true);
    this.pushSealed();
    done();
  }

  private pushSealed(): void {
    // Never a single buffer: each sealed chunk is a body and its tag.
    if (this.out.length) this.push(Buffer.concat(this.out));
    this.out = [];
  }

  private seal(last: boolean): void {
    const [body, tag] = sealChunk(this.key!, this.counter++, last, this.stage.subarray(0, this.staged));
    this.staged = 0;
    this.out.push(body, tag);
  }

  override _destroy(err: Error | null, done: (error: Error | null) => void): void {
    this.key?.fill(0);
    this.stage.fill(0);
    this.stage = Buffer.alloc(0);
    this.header = undefined;
    this.out = [];
    done(err);
  }
}
