import { Transform, TransformCallback } from 'node:stream';
import { AgeHeader, MAX_HEADER_BYTES, parseAgeHeader, verifyAgeHeaderMac } from './ageHeader';
import { parseAgeIdentity, X25519Identity } from './ageKeys';
import { openChunk, PAYLOAD_NONCE_BYTES, payloadKey, SEALED_CHUNK } from './agePayload';
import { unwrapScrypt, unwrapX25519 } from './ageStanzas';
import { CryptoError, tamperedError, truncatedError, wrongKeyError } from './cryptoError';

export type AgeDecryptOptions = (
  | { passphrase: string | Uint8Array }
  | { identities: readonly (string | X25519Identity)[] }
  /** The file key an earlier read of this same file unwrapped: skips a second scrypt (seconds, 256 MiB). */
  | { fileKey: Uint8Array }
) & {
  /** Receives a copy of the file key once the header MAC proved it, for a later `{ fileKey }` read. */
  onFileKey?: (fileKey: Buffer) => void;
};

/**
 * Decrypts an age v1 stream. Plaintext leaves only after its chunk's tag verified, so a
 * consumer never sees a byte an attacker chose; a stream that ends without the last-chunk flag
 * fails. The sealed chunk is staged in one fixed buffer, which keeps memory flat: a full chunk
 * is opened as "not last" only once a byte after it arrives.
 */
export class AgeDecrypt extends Transform {
  private readonly identities: X25519Identity[] = [];
  private head: Buffer[] = [];
  private headBytes = 0;
  private key?: Buffer;
  private nonce = Buffer.alloc(PAYLOAD_NONCE_BYTES);
  private nonceBytes = 0;
  private stage: Buffer = Buffer.allocUnsafe(SEALED_CHUNK);
  private staged = 0;
  private counter = 0;
  /** Verified plaintext of one write, pushed together once the whole write was processed. */
  private out: Buffer[] = [];
  private headerDone = false;
  private fileKey?: Buffer;

  constructor(private readonly opts: AgeDecryptOptions) {
    super({ readableHighWaterMark: 4 * SEALED_CHUNK });
    if ('identities' in opts) {
      if (opts.identities.length === 0)
        throw new CryptoError('bad-key', 'no age identities given', 'Choose an identity file made by `age-keygen`.');
      this.identities = opts.identities.map((i) => (typeof i === 'string' ? parseAgeIdentity(i) : i));
    }
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    if (this.headerDone) {
      this.payloadOrFail(chunk, done);
      return;
    }
    this.head.push(chunk);
    this.headBytes += chunk.length;
    let header: AgeHeader | undefined;
    try {
      const all = Buffer.concat(this.head, this.headBytes);
      this.head = [all];
      header = parseAgeHeader(all.subarray(0, MAX_HEADER_BYTES + 1), false);
    } catch (err) {
      done(err as Error);
      return;
    }
    if (!header) {
      done();
      return;
    }
    const rest = this.head[0].subarray(header.length);
    this.head = [];
    this.unwrap(header).then(
      (fileKey) => {
        this.fileKey = fileKey;
        this.headerDone = true;
        this.payloadOrFail(rest, done);
      },
      (err) => done(err),
    );
  }

  override _flush(done: TransformCallback): void {
    try {
      if (!this.headerDone) {
        parseAgeHeader(Buffer.concat(this.head, this.headBytes), true);
        // A complete header always reaches _transform's unwrap; arriving here means none.
        throw truncatedError('the file ends inside its age header');
      }
      if (this.nonceBytes < PAYLOAD_NONCE_BYTES) throw truncatedError('the file ends before its payload');
      if (this.staged === 0) throw truncatedError('the file ends before its last chunk');
      const key = this.key!;
      const plain = openChunk(key, this.counter, true, this.stage.subarray(0, this.staged));
      if (!plain) {
        // A full chunk that verifies as a middle chunk means the chunks after it were cut off.
        const middle = this.staged === SEALED_CHUNK && openChunk(key, this.counter, false, this.stage);
        throw middle ? truncatedError('the file ends before its last chunk') : tamperedError();
      }
      // Only an entirely empty payload may end in an empty chunk (the age spec; the CLI agrees).
      if (plain.length === 0 && this.counter > 0) throw tamperedError();
      this.staged = 0;
      this.push(plain);
      done();
    } catch (err) {
      done(err as Error);
    }
  }

  private async unwrap(header: AgeHeader): Promise<Buffer> {
    const types = header.stanzas.map((s) => s.type);
    let fileKey: Buffer | undefined;
    if (types.includes('scrypt') && types.length > 1) throw tamperedError();
    if ('fileKey' in this.opts) {
      // Checked by the header MAC below, like any unwrapped key: a key of another file fails it.
      fileKey = Buffer.from(this.opts.fileKey);
    } else if ('passphrase' in this.opts) {
      if (types[0] !== 'scrypt') {
        throw wrongKeyError(
          'This file was encrypted to age recipients (public keys), not with a passphrase: decrypt it with an identity file.',
        );
      }
      fileKey = await unwrapScrypt(header.stanzas[0], this.opts.passphrase);
      if (!fileKey) throw wrongKeyError('The passphrase does not match. Check the key file or the passphrase you typed.');
    } else {
      if (types[0] === 'scrypt')
        throw wrongKeyError('This file was encrypted with a passphrase, not to a recipient: decrypt it with the passphrase.');
      for (const stanza of header.stanzas) {
        if (stanza.type !== 'X25519') continue;
        for (const identity of this.identities) {
          fileKey = unwrapX25519(stanza, identity);
          if (fileKey) break;
        }
        if (fileKey) break;
      }
      if (!fileKey) {
        const foreign = types.filter((t) => t !== 'X25519');
        throw wrongKeyError(
          foreign.length
            ? `None of the identities matches; the file also has recipients of kinds Lifeboat does not read (${[...new Set(foreign)].join(', ')}).`
            : 'The file was encrypted to other recipients than the identities given. Choose the identity file that belongs to one of them.',
        );
      }
    }
    if (!verifyAgeHeaderMac(header, fileKey)) {
      if ('fileKey' in this.opts) throw wrongKeyError('The remembered file key belongs to another file.');
      throw tamperedError();
    }
    this.opts.onFileKey?.(Buffer.from(fileKey));
    return fileKey;
  }

  private payloadOrFail(chunk: Buffer, done: TransformCallback): void {
    try {
      this.payload(chunk);
    } catch (err) {
      // Chunks verified before the damaged one are still good; the consumer decides what to keep.
      this.pushOpened();
      done(err as Error);
      return;
    }
    this.pushOpened();
    done();
  }

  private payload(chunk: Buffer): void {
    let off = 0;
    if (this.nonceBytes < PAYLOAD_NONCE_BYTES) {
      const n = Math.min(PAYLOAD_NONCE_BYTES - this.nonceBytes, chunk.length);
      chunk.copy(this.nonce, this.nonceBytes, 0, n);
      this.nonceBytes += n;
      off = n;
      if (this.nonceBytes === PAYLOAD_NONCE_BYTES) {
        this.key = payloadKey(this.fileKey!, this.nonce);
        this.fileKey!.fill(0);
      }
    }
    while (off < chunk.length) {
      if (this.staged === SEALED_CHUNK) this.openMiddle();
      const n = Math.min(SEALED_CHUNK - this.staged, chunk.length - off);
      chunk.copy(this.stage, this.staged, off, off + n);
      this.staged += n;
      off += n;
    }
  }

  private openMiddle(): void {
    const plain = openChunk(this.key!, this.counter, false, this.stage);
    if (!plain) {
      // Data after a chunk that verifies as the last one: something was appended.
      throw tamperedError();
    }
    this.counter++;
    this.staged = 0;
    this.out.push(plain);
  }

  private pushOpened(): void {
    if (this.out.length) this.push(this.out.length === 1 ? this.out[0] : Buffer.concat(this.out));
    this.out = [];
  }

  override _destroy(err: Error | null, done: (error: Error | null) => void): void {
    this.key?.fill(0);
    this.fileKey?.fill(0);
    this.stage = Buffer.alloc(0);
    this.head = [];
    this.out = [];
    done(err);
  }
}
