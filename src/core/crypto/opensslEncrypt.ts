import { Cipher, createCipheriv, randomBytes } from 'node:crypto';
import { Transform, TransformCallback } from 'node:stream';
import { CryptoError } from './cryptoError';
import {
  OPENSSL_DEFAULT_ITERATIONS,
  OPENSSL_MAGIC,
  OPENSSL_SALT_BYTES,
  checkPbkdf2Iterations,
  opensslPbkdf2,
  passphraseBytes,
} from './opensslKdf';

export interface OpensslEncryptOptions {
  passphrase: string | Uint8Array;
  /** PBKDF2 rounds (`-iter`); readers must pass the same number unless it is the default 10000. */
  iterations?: number;
}

/**
 * Writes what `openssl enc -aes-256-cbc -pbkdf2 -iter N` writes: `Salted__`, an 8-byte salt,
 * then AES-256-CBC with PKCS#7 padding. CBC has no integrity check: whoever keeps this file
 * must record the plaintext's sha256 (the manifest does) to catch a tampered copy.
 */
export class OpensslEncrypt extends Transform {
  private cipher?: Cipher;
  private header?: Buffer;
  private readonly iterations: number;
  private readonly opts: OpensslEncryptOptions;

  constructor(opts: OpensslEncryptOptions) {
    // Checked before super(): it schedules _construct, which would derive a key from what the
    // constructor then refused, and fail again where nobody listens.
    if (opts.passphrase.length === 0)
      throw new CryptoError('bad-key', 'the passphrase is empty', 'Choose a passphrase, or use a key file.');
    checkPbkdf2Iterations(opts.iterations ?? OPENSSL_DEFAULT_ITERATIONS, 'asked for');
    super();
    this.opts = opts;
    this.iterations = opts.iterations ?? OPENSSL_DEFAULT_ITERATIONS;
  }

  override _construct(done: (err?: Error | null) => void): void {
    const salt = randomBytes(OPENSSL_SALT_BYTES);
    opensslPbkdf2(passphraseBytes(this.opts.passphrase), salt, this.iterations).then(({ key, iv }) => {
      this.cipher = createCipheriv('aes-256-cbc', key, iv);
      key.fill(0);
      this.header = Buffer.concat([OPENSSL_MAGIC, salt]);
      done();
    }, done);
  }

  private pushHeader(): void {
    if (this.header) {
      this.push(this.header);
      this.header = undefined;
    }
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.pushHeader();
    done(null, this.cipher!.update(chunk));
  }

  override _flush(done: TransformCallback): void {
    this.pushHeader();
    done(null, this.cipher!.final());
  }

  override _destroy(err: Error | null, done: (error: Error | null) => void): void {
    this.cipher = undefined;
    done(err);
  }
}
