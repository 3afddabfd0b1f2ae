import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import { basename } from 'node:path';
import { pipeline as pipelineCb, Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  AgeDecrypt,
  CryptoError,
  tamperedError,
  truncatedError,
  wrongKeyError,
  detectEncryptionFormat,
  OpensslDecrypt,
  checkPbkdf2Iterations,
  type OpensslKdf,
  looksLikePlaintext,
} from '../crypto';
import type { X25519Identity } from '../crypto';
import { AtomicFile, readHead, Manifest, readManifest } from '../store';
import type { Encryption } from '../store';
import {
  CancelledError,
  LifeboatError,
  formatBytesExact,
  fsError,
  isFsError,
  throwIfAborted,
  OperationOptions,
  withDefaults,
  errorText,
} from '../common';
import { HashStream } from '../streams';

/**
 * The key that opens an encrypted backup: a passphrase (typed, from SecretStorage or a key
 * file; also the only key of an OpenSSL file) or age identities (`AGE-SECRET-KEY-1…`).
 */
export type DecryptKey =
  | {
      passphrase: string | Uint8Array;
      /** OpenSSL only: the key derivation; default from the manifest's fingerprint, else detected. */
      kdf?: OpensslKdf | 'detect';
      /** OpenSSL only: PBKDF2 rounds (`-iter`). */
      iterations?: number;
    }
  | { identities: readonly (string | X25519Identity)[] }
  /** age only: the file key of this very file, unwrapped by an earlier read (see backupSource). */
  | { fileKey: Uint8Array };

/** What an encrypted file needs, from its first bytes: the format and, for age, the kind of key. */
export interface EncryptedFileInfo {
  format: Encryption;
  /** `passphrase` for OpenSSL files and age files with a scrypt stanza; `identity` for age recipients. */
  needs: 'passphrase' | 'identity';
}

const HEAD_BYTES = 4096;

export async function describeEncryptedFile(path: string): Promise<EncryptedFileInfo> {
  let head: Buffer;
  try {
    head = await readHead(path, HEAD_BYTES);
  } catch (err) {
    throw fsError(err, 'read', path);
  }
  const format = detectEncryptionFormat(head);
  if (!format) {
    throw new CryptoError(
      'not-encrypted',
      `"${basename(path)}" is not an encrypted backup (it starts neither with "age-encryption.org/v1" nor with "Salted__")`,
      'Lifeboat decrypts age files and files written by `openssl enc -aes-256-cbc` (salted, binary).',
    );
  }
  if (format === 'openssl') return { format, needs: 'passphrase' };
  return { format, needs: /\n-> scrypt /.test(head.toString('latin1')) ? 'passphrase' : 'identity' };
}

/**
 * The key derivation an OpenSSL file was written with, from the manifest's fingerprint. The
 * manifest is as untrusted as the file, so its round count is checked before anything derives.
 */
export function kdfFromFingerprint(fingerprint: string | undefined): { kdf: OpensslKdf; iterations?: number } | undefined {
  if (!fingerprint) return undefined;
  const pbkdf2 = /^aes-256-cbc:pbkdf2-sha256:(\d+)$/.exec(fingerprint);
  if (pbkdf2) {
    const iterations = Number(pbkdf2[1]);
    checkPbkdf2Iterations(iterations, `recorded in the manifest as ${pbkdf2[1].length > 20 ? `${pbkdf2[1].slice(0, 20)}…` : pbkdf2[1]}`);
    return { kdf: 'pbkdf2', iterations };
  }
  const evp = /^aes-256-cbc:evp-bytestokey-(sha256|md5)$/.exec(fingerprint);
  if (evp) return { kdf: evp[1] as OpensslKdf };
  return undefined;
}

/** A decrypting Transform for one format and key; the key must fit the format. */
export function decryptorFor(format: Encryption, key: DecryptKey): Transform {
  if (format === 'age') {
    if ('fileKey' in key) return new AgeDecrypt({ fileKey: key.fileKey });
    return 'identities' in key ? new AgeDecrypt({ identities: key.identities }) : new AgeDecrypt({ passphrase: key.passphrase });
  }
  if (!('passphrase' in key)) {
    throw new CryptoError(
      'bad-key',
      'OpenSSL files open with a passphrase, not with an age identity',
      'Give the passphrase or the key file it was encrypted with.',
    );
  }
  return new OpensslDecrypt({ passphrase: key.passphrase, kdf: key.kdf, iterations: key.iterations });
}

/**
 * The plaintext of an encrypted backup as a stream, for verify and restore: nothing decrypted
 * touches the disk. The format comes from the file's first bytes; errors (wrong key, tampering,
 * truncation, the file itself) arrive as the stream's 'error'. Age plaintext is authenticated
 * chunk by chunk; OpenSSL (CBC) plaintext is not, so a consumer compares its sha256 with the
 * manifest's `encryption.plaintextSha256` before trusting what it built from it.
 */
export async function decryptStream(path: string, key: DecryptKey, opts: { signal?: AbortSignal } = {}): Promise<Readable> {
  const info = await describeEncryptedFile(path);
  let k = key;
  if (info.format === 'openssl' && 'passphrase' in key && !key.kdf) {
    const { manifest } = await readManifest(path);
    let known;
    try {
      known = kdfFromFingerprint(manifest?.encryption?.keyFingerprint);
    } catch (err) {
      throw prefixed(err, basename(path));
    }
    if (known) k = { ...key, ...known };
  }
  const decryptor = decryptorFor(info.format, k);
  const file = createReadStream(path, { signal: opts.signal });
  // CBC has no authentication: a wrong key still ends in valid padding once in 256 tries. The
  // manifest's plaintext sha256, when there is one, turns that into an error too.
  const expected = info.format === 'openssl' ? (await readManifest(path)).manifest?.encryption?.plaintextSha256 : undefined;
  // The callback pipeline hands any stage's error to the last stream, which the caller reads.
  if (!expected) return pipelineCb(file, decryptor, () => undefined);
  return pipelineCb(file, decryptor, plaintextCheck(expected), () => undefined);
}

/** Passes the plaintext through and fails at its end when its sha256 is not `expected`. */
function plaintextCheck(expected: string): Transform {
  const hash = createHash('sha256');
  let head = Buffer.alloc(0);
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      if (head.length < 4096) head = Buffer.concat([head, chunk.subarray(0, 4096 - head.length)]);
      done(null, chunk);
    },
    flush(done) {
      if (hash.digest('hex') === expected) return done();
      // Garbage from the first block on is a wrong key; data that starts right was changed later.
      done(looksLikePlaintext(head) ? tamperedError() : wrongKeyError('Check the passphrase or key file, then retry.'));
    },
  });
}

export interface DecryptFileOptions extends OperationOptions {
  key: DecryptKey;
  /** Replace an existing plaintext file of the same name (the command asks first). Default false. */
  overwrite?: boolean;
}

export interface DecryptResult {
  path: string;
  format: Encryption;
  bytes: number;
  plaintextSha256: string;
  /** True when the manifest recorded the plaintext's sha256 and it matched. */
  checkedAgainstManifest: boolean;
  /** The manifest written next to the plaintext (a copy of the encrypted file's, without encryption). */
  manifest?: Manifest;
}

/** `x.sql.gz.age` → `x.sql.gz`; undefined for a name without `.age` or `.enc`. */
export function plaintextPathOf(path: string): string | undefined {
  const m = /^(.+)\.(age|enc)$/.exec(path);
  return m && basename(m[1]) ? m[1] : undefined;
}

/**
 * Decrypts a backup next to itself (`x.sql.gz.age` → `x.sql.gz`) under contract 1 in
 * docs/contracts.md: a partial name, fsync, rename. The plaintext's sha256 is compared with the
 * manifest's when it has one, which is the only way to catch a tampered OpenSSL (CBC) file. A wrong
 * key, a tampered or truncated file and a cancel leave no plaintext behind.
 */
export async function decryptFile(src: string, options: DecryptFileOptions): Promise<DecryptResult> {
  const opts = withDefaults(options);
  const { logger: log, progress } = opts;
  throwIfAborted(opts.signal);
  const name = basename(src);
  const dest = plaintextPathOf(src);
  if (!dest)
    throw new LifeboatError(
      `Cannot decrypt "${name}": its name does not end in .age or .enc.`,
      'Rename it to say its format (.age or .enc), then retry.',
    );
  const info = await describeEncryptedFile(src).catch((err) => {
    throw prefixed(err, name);
  });
  const st = await fs.stat(src);
  if (!opts.overwrite && (await exists(dest))) {
    throw new LifeboatError(
      `Cannot decrypt "${name}": "${basename(dest)}" already exists.`,
      'Delete or rename it first, or confirm replacing it.',
    );
  }
  const { manifest } = await readManifest(src);
  const expected = manifest?.encryption?.plaintextSha256;
  let key = opts.key;
  let decryptor: Transform;
  try {
    if (info.format === 'openssl' && 'passphrase' in key && !key.kdf) {
      const known = kdfFromFingerprint(manifest?.encryption?.keyFingerprint);
      if (known) key = { ...key, ...known };
    }
    decryptor = decryptorFor(info.format, key);
  } catch (err) {
    throw prefixed(err, name);
  }

  const file = new AtomicFile(dest);
  try {
    const phase = `Decrypting ${name}`;
    progress({ phase, bytes: 0, total: st.size });
    const read = new HashStream((bytes) => progress({ phase, bytes, total: st.size }));
    const plain = new HashStream();
    // A partial that exists is not ours (another run's, or a leftover the user must look at).
    const out = await file.open();
    try {
      await pipeline(createReadStream(src), read, decryptor, plain, out, { signal: opts.signal });
    } catch (err) {
      if (opts.signal?.aborted) throw new CancelledError();
      throw prefixed(damagedNotKey(err, manifest, st.size, read), name);
    }
    const sha = plain.digest();
    if (expected && sha !== expected) {
      throw new CryptoError(
        'tampered',
        `Cannot decrypt "${name}": the decrypted data does not match the sha256 its manifest recorded, so the file was tampered with or is corrupt. Nothing was kept.`,
        info.format === 'openssl'
          ? 'OpenSSL files carry no integrity check of their own; use another copy of the backup. (A wrong passphrase can also do this in rare cases: check it.)'
          : 'Use another copy of the backup.',
      );
    }
    throwIfAborted(opts.signal);
    await file.commit();
    log.info(
      `Decrypted ${src} to ${dest} (${formatBytesExact(plain.bytes)}, sha256 ${expected ? 'matches the manifest' : 'not recorded'})`,
    );

    let written: Manifest | undefined;
    if (manifest) {
      written = { ...manifest, file: { name: basename(dest), bytes: plain.bytes, sha256: sha } };
      delete written.encryption;
      const kept = await file.writeManifest(written, (err) =>
        log.warn(`Decrypted, but the manifest of ${basename(dest)} could not be written: ${(err as Error).message}`),
      );
      if (!kept) written = undefined;
    }
    return {
      path: dest,
      format: info.format,
      bytes: plain.bytes,
      plaintextSha256: sha,
      checkedAgainstManifest: !!expected,
      manifest: written,
    };
  } finally {
    await file.discard();
  }
}

/**
 * CBC shows a cut or damaged end only as bad padding, which reads as a wrong key. When the file
 * is not the one its manifest recorded (the whole file has been read by then, so its sha256 is
 * known), it is the file: saying "wrong passphrase" would send the user after the wrong cause.
 */
function damagedNotKey(err: unknown, manifest: Manifest | undefined, size: number, read: HashStream): unknown {
  if (!(err instanceof CryptoError && err.code === 'wrong-key') || !manifest?.file) return err;
  if (manifest.file.bytes !== undefined && manifest.file.bytes !== size) {
    return truncatedError(`it is ${formatBytesExact(size)}, where its manifest recorded ${formatBytesExact(manifest.file.bytes)}`);
  }
  if (manifest.file.sha256 && read.bytes === size && read.digest() !== manifest.file.sha256) {
    return new CryptoError(
      'tampered',
      'the file was changed or is corrupt: its sha256 differs from the one its manifest recorded, so its end does not decrypt',
      'Nothing was kept. Use another copy of the backup.',
    );
  }
  return err;
}

async function exists(path: string): Promise<boolean> {
  return fs.access(path).then(
    () => true,
    () => false,
  );
}

/** Crypto errors are lower case for a prefix; file errors name their path; anything else is wrapped. */
function prefixed(err: unknown, name: string): Error {
  if (err instanceof CryptoError) return new CryptoError(err.code, `Cannot decrypt "${name}": ${err.message}`, err.hint, { cause: err });
  if (err instanceof LifeboatError) return err;
  if (isFsError(err)) return fsError(err, 'decrypt', name);
  return new LifeboatError(`Cannot decrypt "${name}": ${errorText(err)}`, undefined, undefined, { cause: err });
}
