import { createDecipheriv, Decipher } from 'node:crypto';
import { Transform, TransformCallback } from 'node:stream';
import { CryptoError, truncatedError } from './cryptoError';
import {
  checkPbkdf2Iterations,
  deriveOpensslKeyIv,
  KeyIv,
  OPENSSL_DEFAULT_ITERATIONS,
  OPENSSL_HEADER_BYTES,
  OPENSSL_MAGIC,
  OpensslKdf,
  passphraseBytes,
} from './opensslKdf';
import { looksLikePlaintext } from './plaintextSniff';

export interface OpensslDecryptOptions {
  passphrase: string | Uint8Array;
  /**
   * The key derivation the file was written with, or `detect` (the default): try PBKDF2
   * (`iterations`), then EVP_BytesToKey-SHA-256, then EVP_BytesToKey-MD5 on the first 4 KiB and
   * take the first whose plaintext looks like a backup (gzip, tar, pg_dump, text; see
   * plaintextSniff). A file shorter than that is decrypted whole and must also pad correctly.
   */
  kdf?: OpensslKdf | 'detect';
  /** PBKDF2 rounds (`-iter`); default 10000 like `openssl enc -pbkdf2`. */
  iterations?: number;
  /**
   * An earlier read of this file showed this key gives real data: bad padding at the end then
   * means a damaged file, not a wrong key.
   */
  keyProven?: boolean;
  /** Told which derivation decrypts the file (the detected one, or the one given). */
  onKdf?: (kdf: OpensslKdf) => void;
}

/** Enough ciphertext to tell noise from data: 256 AES blocks. */
export const DETECT_PROBE_BYTES = 4096;
const DETECT_ORDER: OpensslKdf[] = ['pbkdf2', 'sha256', 'md5'];

function wrongKey(detected: boolean): CryptoError {
  return new CryptoError(
    'wrong-key',
    'wrong passphrase, or not encrypted with these options',
    detected
      ? 'No key derivation (-pbkdf2, OpenSSL 3 default SHA-256, OpenSSL 1.0 MD5) gives readable data with this passphrase. Check the key file; if the file was written with -pbkdf2 -iter N, give that N.'
      : 'Check the key file, and whether the file was written with -pbkdf2 (and which -iter) or without it (-md sha256, or md5 for OpenSSL 1.0).',
  );
}

/**
 * Decrypts `openssl enc -aes-256-cbc` files (salted, binary, not `-a`). The output is streamed
 * as it decrypts; CBC cannot tell a wrong key from a right one until the padding at the very
 * end, so callers must write to a temporary file, and compare the plaintext's sha256 with the
 * manifest before trusting it.
 */
export class OpensslDecrypt extends Transform {
  private header = Buffer.alloc(0);
  private probe: Buffer[] = [];
  private probeBytes = 0;
  private decipher?: Decipher;
  private detected = false;
  private ciphertextBytes = 0;

  constructor(private readonly opts: OpensslDecryptOptions) {
    super();
    if (opts.passphrase.length === 0)
      throw new CryptoError('bad-key', 'the passphrase is empty', 'Give the passphrase the file was encrypted with.');
    if (opts.iterations !== undefined) checkPbkdf2Iterations(opts.iterations, 'asked for');
    this.detected = opts.keyProven === true;
  }

  private get mode(): OpensslKdf | 'detect' {
    return this.opts.kdf ?? 'detect';
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.consume(chunk).then(() => done(), done);
  }

  private async consume(chunk: Buffer): Promise<void> {
    if (this.header.length < OPENSSL_HEADER_BYTES) {
      const need = OPENSSL_HEADER_BYTES - this.header.length;
      this.header = Buffer.concat([this.header, chunk.subarray(0, need)]);
      chunk = chunk.subarray(need);
      const n = Math.min(this.header.length, OPENSSL_MAGIC.length);
      if (!this.header.subarray(0, n).equals(OPENSSL_MAGIC.subarray(0, n))) throw notOpenssl();
      if (this.header.length < OPENSSL_HEADER_BYTES) return;
    }
    this.ciphertextBytes += chunk.length;
    if (this.decipher) {
      this.push(this.decipher.update(chunk));
      return;
    }
    this.probe.push(chunk);
    this.probeBytes += chunk.length;
    if (this.mode !== 'detect') {
      this.opts.onKdf?.(this.mode);
      await this.start(await this.derive(this.mode));
    } else if (this.probeBytes > DETECT_PROBE_BYTES) {
      await this.start(await this.detect(false));
    }
  }

  private salt(): Buffer {
    return this.header.subarray(OPENSSL_MAGIC.length, OPENSSL_HEADER_BYTES);
  }

  private derive(kdf: OpensslKdf): Promise<KeyIv> {
    return deriveOpensslKeyIv(kdf, passphraseBytes(this.opts.passphrase), this.salt(), this.opts.iterations ?? OPENSSL_DEFAULT_ITERATIONS);
  }

  /**
   * The first candidate whose plaintext looks like data. With the whole file at hand (`whole`),
   * its padding must also be right, which rules out a lucky wrong key on tiny files.
   */
  private async detect(whole: boolean): Promise<KeyIv> {
    const ciphertext = Buffer.concat(this.probe, this.probeBytes);
    for (const kdf of DETECT_ORDER) {
      const keyIv = await this.derive(kdf);
      const d = createDecipheriv('aes-256-cbc', keyIv.key, keyIv.iv);
      let head: Buffer;
      if (whole) {
        try {
          head = Buffer.concat([d.update(ciphertext), d.final()]);
        } catch {
          continue;
        }
      } else {
        d.setAutoPadding(false);
        head = d.update(ciphertext.subarray(0, DETECT_PROBE_BYTES));
      }
      if (looksLikePlaintext(head)) {
        this.detected = true;
        this.opts.onKdf?.(kdf);
        return keyIv;
      }
    }
    throw wrongKey(true);
  }

  private async start(keyIv: KeyIv): Promise<void> {
    this.decipher = createDecipheriv('aes-256-cbc', keyIv.key, keyIv.iv);
    keyIv.key.fill(0);
    const pending = Buffer.concat(this.probe, this.probeBytes);
    this.probe = [];
    this.probeBytes = 0;
    this.push(this.decipher.update(pending));
  }

  override _flush(done: TransformCallback): void {
    this.finish().then(() => done(), done);
  }

  private async finish(): Promise<void> {
    if (this.header.length < OPENSSL_HEADER_BYTES) {
      if (this.header.length === 0) throw notOpenssl();
      throw truncatedError('the file ends inside its OpenSSL header');
    }
    if (this.ciphertextBytes === 0) throw truncatedError('the file holds no encrypted data after its header');
    if (this.ciphertextBytes % 16 !== 0) throw truncatedError('the encrypted data is not a whole number of 16-byte AES blocks');
    // A known derivation started at the first encrypted byte; only detection can still wait here.
    if (!this.decipher) await this.start(await this.detect(true));
    try {
      this.push(this.decipher!.final());
    } catch {
      if (!this.detected) throw wrongKey(false);
      // The start decrypted to real data, so the key is right and the end is damaged.
      throw new CryptoError(
        'tampered',
        'the end of the file does not decrypt: it was modified or is corrupt',
        'OpenSSL files carry no checksum of their own; use another copy, and compare its sha256 with the manifest.',
      );
    }
  }

  override _destroy(err: Error | null, done: (error: Error | null) => void): void {
    this.decipher = undefined;
    this.probe = [];
    done(err);
  }
}

function notOpenssl(): CryptoError {
  return new CryptoError(
    'not-encrypted',
    'not an OpenSSL enc file (it does not start with "Salted__")',
    'Lifeboat reads files written by `openssl enc -aes-256-cbc` with a salt and without -a. An age file starts with "age-encryption.org/v1".',
  );
}
