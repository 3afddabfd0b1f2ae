import { createReadStream, promises as fs } from 'node:fs';
import { basename } from 'node:path';
import { Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  AgeEncrypt,
  ageKeyFingerprint,
  type X25519Identity,
  CryptoError,
  detectEncryptionFormat,
  OpensslEncrypt,
  OPENSSL_DEFAULT_ITERATIONS,
  opensslKeyFingerprint,
} from '../crypto';
import { AtomicFile, MANIFEST_VERSION, Manifest, manifestPath, readManifest, Encryption, parseBackupName } from '../store';
import { DecryptKey, decryptStream } from './decryptFile';
import {
  CancelledError,
  LifeboatError,
  formatBytesExact,
  fsError,
  isFsError,
  throwIfAborted,
  OperationOptions,
  withDefaults,
  toolVersion,
} from '../common';
import { HashStream } from '../streams';

export interface EncryptFileOptions extends OperationOptions {
  /** `age` (the default format of Lifeboat) or `openssl` (`enc -aes-256-cbc -pbkdf2`). */
  format: Encryption;
  /** A passphrase (typed, from SecretStorage or a key file's bytes). OpenSSL needs one. */
  passphrase?: string | Uint8Array;
  /** age only: X25519 recipients (`age1…`), instead of a passphrase. */
  recipients?: readonly string[];
  /**
   * age recipients only: identities that prove the new file opens. Without one that matches a
   * recipient, the round trip cannot run and the result says so (`proof: 'unproven'`).
   */
  identities?: readonly (string | X25519Identity)[];
  /** age scrypt work factor (log2 N); default 18 like the age CLI. Tests lower it. */
  workFactor?: number;
  /** OpenSSL PBKDF2 rounds; default 10000 like `openssl enc -pbkdf2`. */
  iterations?: number;
  /** Delete the unencrypted file and its manifest once the encrypted one is proven. Default false. */
  removePlaintext?: boolean;
}

export interface EncryptResult {
  path: string;
  manifest: Manifest;
  /** `decrypted`: the new file was decrypted with the key and gave the same sha256. */
  proof: 'decrypted' | 'unproven';
  removedPlaintext: boolean;
}

export const ENCRYPTED_EXTENSIONS: Record<Encryption, string> = { age: '.age', openssl: '.enc' };

/** What the manifest records about the key: never the key, nor anything derived from it. */
export function encryptionFingerprint(opts: Pick<EncryptFileOptions, 'format' | 'passphrase' | 'recipients' | 'iterations'>): string {
  if (opts.format === 'openssl') return opensslKeyFingerprint('pbkdf2', opts.iterations ?? OPENSSL_DEFAULT_ITERATIONS);
  return opts.recipients?.length ? ageKeyFingerprint({ recipients: opts.recipients }) : ageKeyFingerprint({ passphrase: true });
}

function encryptorFor(opts: EncryptFileOptions): Transform {
  if (opts.format === 'openssl') {
    if (opts.passphrase === undefined) {
      throw new CryptoError(
        'bad-key',
        'OpenSSL encryption needs a passphrase',
        'Give a passphrase or a key file, or choose the age format for recipients.',
      );
    }
    return new OpensslEncrypt({ passphrase: opts.passphrase, iterations: opts.iterations });
  }
  if (opts.recipients?.length) return new AgeEncrypt({ recipients: opts.recipients });
  if (opts.passphrase === undefined)
    throw new CryptoError('bad-key', 'no passphrase or recipient given', 'Give a passphrase or a key file, or set age recipients.');
  return new AgeEncrypt({ passphrase: opts.passphrase, workFactor: opts.workFactor });
}

function proofKey(opts: EncryptFileOptions): DecryptKey | undefined {
  if (opts.format === 'openssl')
    return { passphrase: opts.passphrase!, kdf: 'pbkdf2', iterations: opts.iterations ?? OPENSSL_DEFAULT_ITERATIONS };
  if (opts.recipients?.length) return opts.identities?.length ? { identities: opts.identities } : undefined;
  return { passphrase: opts.passphrase! };
}

/**
 * Encrypts a backup to `<file>.age` or `<file>.enc` next to it, under contract 1 in
 * docs/contracts.md: a partial name (mode 0600), fsync, and the final name only after the new file
 * was decrypted again with the same key and gave the plaintext's sha256 (an encrypted backup counts
 * only when its key is proven to open it). The new file gets a manifest: the source's, with `file`
 * describing the encrypted file and `encryption` its format, key fingerprint and plaintext sha256.
 * A source that does not match its own manifest's checksum is refused: encrypting would seal a
 * corrupt backup. A cancel or a failure leaves no partial file; the source is never changed.
 */
export async function encryptFile(src: string, options: EncryptFileOptions): Promise<EncryptResult> {
  const opts = withDefaults(options);
  const { logger: log, progress } = opts;
  throwIfAborted(opts.signal);
  const name = basename(src);
  if (/\.(age|enc)$/.test(name)) {
    throw new LifeboatError(`"${name}" is already encrypted.`, 'Decrypt it first if you want to encrypt it in another format.');
  }
  const st = await fs.stat(src).catch((err) => {
    throw fsError(err, 'read', src);
  });
  if (!st.isFile()) throw new LifeboatError(`${src} is not a file.`, 'Choose a backup file.');
  if (await startsEncrypted(src)) {
    throw new LifeboatError(
      `"${name}" is already encrypted (its content is an encrypted file).`,
      'Rename it to end in .age or .enc, then decrypt it.',
    );
  }
  const dest = src + ENCRYPTED_EXTENSIONS[opts.format];
  if (await exists(dest)) {
    throw new LifeboatError(
      `Cannot encrypt "${name}": "${basename(dest)}" already exists.`,
      'Delete or rename the existing encrypted file first.',
    );
  }
  let encryptor: Transform;
  try {
    encryptor = encryptorFor(opts);
  } catch (err) {
    throw err instanceof CryptoError
      ? new CryptoError(err.code, `Cannot encrypt "${name}": ${err.message}`, err.hint, { cause: err })
      : err;
  }
  const { manifest: source } = await readManifest(src);
  const sourceSha = source && source.file.name === name ? source.file.sha256 : undefined;

  const file = new AtomicFile(dest);
  const partial = file.partial;
  try {
    const phase = `Encrypting ${name}`;
    progress({ phase, bytes: 0, total: st.size });
    const plain = new HashStream((bytes) => progress({ phase, bytes, total: st.size }));
    const sealed = new HashStream();
    const out = await file.open();
    try {
      await pipeline(createReadStream(src), plain, encryptor, sealed, out, { signal: opts.signal });
    } catch (err) {
      if (opts.signal?.aborted) throw new CancelledError();
      if (isFsError(err)) throw fsError(err, 'write the encrypted file', partial);
      throw err;
    }
    const plaintextSha256 = plain.digest();
    if (sourceSha && sourceSha !== plaintextSha256) {
      throw new LifeboatError(
        `Cannot encrypt "${name}": it does not match the sha256 its manifest recorded, so it changed or is corrupt since it was made. Nothing was written.`,
        'Verify the backup, or make a new one and encrypt that.',
      );
    }
    await file.sync();

    // The proof: decrypt what is on disk, with the same key, and compare.
    const key = proofKey(opts);
    let proof: EncryptResult['proof'] = 'unproven';
    if (key) {
      const verifyPhase = `Checking that ${basename(dest)} decrypts`;
      progress({ phase: verifyPhase, bytes: 0, total: plain.bytes });
      const check = new HashStream((bytes) => progress({ phase: verifyPhase, bytes, total: plain.bytes }));
      try {
        await pipeline(await decryptStream(partial, key, { signal: opts.signal }), check, devNull(), { signal: opts.signal });
      } catch (err) {
        if (opts.signal?.aborted) throw new CancelledError();
        throw new LifeboatError(
          `Encrypting "${name}" failed its check: the new file does not decrypt with the same key (${(err as Error).message}). Nothing was kept.`,
          'This should not happen; see the Lifeboat log, and keep the unencrypted backup.',
          undefined,
          { cause: err },
        );
      }
      if (check.digest() !== plaintextSha256 || check.bytes !== plain.bytes) {
        throw new LifeboatError(
          `Encrypting "${name}" failed its check: the new file decrypts to different data. Nothing was kept.`,
          'The disk may be failing; keep the unencrypted backup and check the disk.',
        );
      }
      proof = 'decrypted';
    } else {
      log.warn(`${basename(dest)}: no identity at hand for the recipients, so the round trip could not be checked.`);
    }
    throwIfAborted(opts.signal);
    await file.commit();

    const manifest = encryptedManifest(source, src, st, {
      file: { name: basename(dest), bytes: sealed.bytes, sha256: sealed.digest() },
      encryption: { format: opts.format, keyFingerprint: encryptionFingerprint(opts), plaintextSha256 },
    });
    // Without its manifest an OpenSSL file cannot be checked for tampering: say so loudly.
    await file.writeManifest(manifest, (err) =>
      log.warn(`${basename(dest)} was written, but its manifest was not: ${(err as Error).message}`),
    );
    log.info(
      `Encrypted ${src} to ${dest} (${opts.format}, ${formatBytesExact(sealed.bytes)}, ${proof === 'decrypted' ? 'decrypts to the same sha256' : 'round trip not checked'})`,
    );

    let removedPlaintext = false;
    if (opts.removePlaintext) {
      await removePlaintextCopy(src);
      removedPlaintext = true;
    }
    return { path: dest, manifest, proof, removedPlaintext };
  } finally {
    await file.discard();
  }
}

/** Removes an unencrypted backup and its manifest, once its encrypted copy exists. */
export async function removePlaintextCopy(src: string): Promise<void> {
  try {
    await fs.rm(src);
    await fs.rm(manifestPath(src), { force: true });
  } catch (err) {
    throw fsError(err, 'delete the unencrypted backup', src);
  }
}

function encryptedManifest(
  source: Manifest | undefined,
  src: string,
  st: { mtime: Date },
  fields: Pick<Manifest, 'file' | 'encryption'>,
): Manifest {
  // readManifest gives a manifest without a history an empty one.
  if (source) return { ...source, ...fields };
  // A file made outside Lifeboat: what its name says, and what encryption adds.
  const parsed = parseBackupName(basename(src));
  return {
    formatVersion: MANIFEST_VERSION,
    kind: parsed?.kind ?? (basename(src).endsWith('.sql.gz') ? 'database' : 'config'),
    createdAt: (parsed?.time ?? st.mtime).toISOString(),
    tool: { name: 'lifeboat', version: toolVersion },
    source: parsed?.kind === 'volume' ? { volume: parsed.subject } : parsed?.subject ? { project: parsed.subject } : {},
    compression: { format: 'gzip' },
    ...fields,
    verifications: [],
  };
}

async function startsEncrypted(path: string): Promise<boolean> {
  const handle = await fs.open(path, 'r');
  try {
    const buf = Buffer.alloc(32);
    const { bytesRead } = await handle.read(buf, 0, 32, 0);
    return detectEncryptionFormat(buf.subarray(0, bytesRead)) !== undefined;
  } finally {
    await handle.close();
  }
}

async function exists(path: string): Promise<boolean> {
  return fs.access(path).then(
    () => true,
    () => false,
  );
}

function devNull(): Writable {
  return new Writable({
    write(_chunk, _enc, done) {
      done();
    },
  });
}
