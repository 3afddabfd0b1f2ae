import { createReadStream, promises as fs } from 'node:fs';
import { basename } from 'node:path';
import { pipeline as pipelineCb, Readable } from 'node:stream';
import { AgeDecrypt, CryptoError, OpensslDecrypt, looksLikePlaintext } from '../crypto';
import type { OpensslKdf } from '../crypto';
import { DecryptKey, EncryptedFileInfo, describeEncryptedFile, kdfFromFingerprint } from './decryptFile';
import { CancelledError, LifeboatError, fsError, isCancelled, isFsError, throwIfAborted } from '../common';
import { readHead, readManifest } from '../store';
import type { Encryption } from '../store';
import { READ_CHUNK } from '../streams';

/** Enough plaintext to recognise what a backup holds (gzip, PGDMP, tar) and to tell noise from data. */
export const HEAD_BYTES = 4096;
const MAX_KEY_TRIES = 3;

/**
 * The key of an encrypted backup, asked for when one is opened. `failed` is the error of the key
 * given before (a wrong passphrase): offer another, or throw it when there is none. Undefined
 * means the user dismissed the question, which cancels the operation.
 */
export interface KeyProvider {
  key(file: string, info: EncryptedFileInfo, failed?: CryptoError): Promise<DecryptKey | undefined>;
  /** The key given last opened the file (a typed passphrase may now be remembered). */
  opened?(): Promise<void> | void;
}

/**
 * The bytes of a backup as checks and restores read them: the file itself, or its decryption,
 * which streams from the encrypted file on every read and never touches the disk.
 */
export interface BackupSource {
  path: string;
  /** Set for an encrypted file. */
  encryption?: Encryption;
  /** Size of the file on disk (progress totals). */
  fileBytes: number;
  /** The first bytes of the plaintext (up to HEAD_BYTES). */
  head: Buffer;
  /** A new stream of the plaintext from its first byte; errors arrive as the stream's 'error'. */
  open(signal?: AbortSignal): Readable;
  /** Forgets key material; call when done. */
  close(): void;
}

export function isEncryptedName(path: string): boolean {
  return /\.(age|enc)$/.test(path);
}

/** An unencrypted file as a source. */
export async function plainSource(path: string): Promise<BackupSource> {
  let fileBytes: number;
  let head: Buffer;
  try {
    fileBytes = (await fs.stat(path)).size;
    head = await readHead(path, HEAD_BYTES);
  } catch (err) {
    throw fsError(err, 'read the backup', path);
  }
  return { path, fileBytes, head, open: (signal) => createReadStream(path, { signal, highWaterMark: READ_CHUNK }), close: () => undefined };
}

/**
 * Opens a backup for reading: a `.age` / `.enc` file through its key (asked from `keys`), any
 * other file as it is. The key is proven before anything else happens: an age key by the
 * header's MAC, an OpenSSL key by the first 4 KiB decrypting to data (CBC has no other check
 * until the end). A wrong key is asked for again as `keys` decides, else thrown as a CryptoError
 * with code `wrong-key`; nothing is written either way.
 */
export async function openBackupSource(path: string, opts: { keys?: KeyProvider; signal?: AbortSignal } = {}): Promise<BackupSource> {
  if (!isEncryptedName(path)) return plainSource(path);
  const name = basename(path);
  const info = await describeEncryptedFile(path).catch((err) => {
    throw named(err, name);
  });
  if (!opts.keys) {
    throw new CryptoError(
      'bad-key',
      `"${name}" is encrypted, and no key was given to read it.`,
      'Give the passphrase, key file or identity file it was encrypted with.',
    );
  }
  const fileBytes = (await fs.stat(path)).size;
  const { manifest } = await readManifest(path);
  let known: ReturnType<typeof kdfFromFingerprint>;
  try {
    known = kdfFromFingerprint(manifest?.encryption?.keyFingerprint);
  } catch (err) {
    throw named(err, name);
  }
  let failed: CryptoError | undefined;
  for (let attempt = 0; attempt < MAX_KEY_TRIES; attempt++) {
    throwIfAborted(opts.signal);
    let given: DecryptKey | undefined;
    try {
      given = await opts.keys.key(path, info, failed);
    } catch (err) {
      if (err instanceof Error) keyProblems.add(err);
      throw err;
    }
    if (!given) throw new CancelledError();
    let key: DecryptKey = given;
    if (info.format === 'openssl' && 'passphrase' in key && !key.kdf && known) key = { ...key, ...known };
    const unlocked = new UnlockedKey(info.format, key);
    try {
      const head = await readStreamHead(unlocked.open(path, opts.signal));
      if (info.format === 'openssl' && !looksLikePlaintext(head)) {
        // A known derivation decrypts any key to noise; only the data tells.
        throw new CryptoError(
          'wrong-key',
          'wrong passphrase or key',
          'The first 4 KiB decrypt to noise. Check the key file or the passphrase you typed.',
        );
      }
      unlocked.proven = true;
      await opts.keys.opened?.();
      return {
        path,
        encryption: info.format,
        fileBytes,
        head,
        open: (signal) => unlocked.open(path, signal),
        close: () => unlocked.forget(),
      };
    } catch (err) {
      unlocked.forget();
      if (opts.signal?.aborted || isCancelled(err)) throw new CancelledError();
      if (!(err instanceof CryptoError && err.code === 'wrong-key')) throw named(err, name);
      failed = named(err, name) as CryptoError;
    }
  }
  throw failed!;
}

/**
 * One key for one file, kept in the cheapest form that reopens it: an age file key (no second
 * scrypt, which costs seconds and 256 MiB) or the OpenSSL derivation found the first time.
 */
class UnlockedKey {
  proven = false;
  private fileKey?: Buffer;
  private kdf?: OpensslKdf;

  constructor(
    private readonly format: Encryption,
    private key: DecryptKey,
  ) {}

  open(path: string, signal?: AbortSignal): Readable {
    const decryptor = this.format === 'age' ? this.age() : this.openssl();
    return pipelineCb(createReadStream(path, { signal, highWaterMark: READ_CHUNK }), decryptor, () => undefined);
  }

  private age(): AgeDecrypt {
    if (this.fileKey) return new AgeDecrypt({ fileKey: this.fileKey });
    const onFileKey = (k: Buffer) => {
      this.fileKey = k;
    };
    if ('fileKey' in this.key) return new AgeDecrypt({ fileKey: this.key.fileKey, onFileKey });
    return 'identities' in this.key
      ? new AgeDecrypt({ identities: this.key.identities, onFileKey })
      : new AgeDecrypt({ passphrase: this.key.passphrase, onFileKey });
  }

  private openssl(): OpensslDecrypt {
    if (!('passphrase' in this.key)) {
      throw new CryptoError(
        'bad-key',
        'OpenSSL files open with a passphrase, not with an age identity',
        'Give the passphrase or the key file it was encrypted with.',
      );
    }
    const { passphrase, iterations } = this.key;
    return new OpensslDecrypt({
      passphrase,
      iterations,
      kdf: this.kdf ?? this.key.kdf,
      keyProven: this.proven,
      onKdf: (kdf) => {
        this.kdf = kdf;
      },
    });
  }

  forget(): void {
    this.fileKey?.fill(0);
    this.fileKey = undefined;
  }
}

/** The first HEAD_BYTES of a stream (fewer when it ends sooner); the rest is not read. */
async function readStreamHead(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  let n = 0;
  try {
    for await (const chunk of stream) {
      parts.push(chunk as Buffer);
      n += (chunk as Buffer).length;
      if (n >= HEAD_BYTES) break;
    }
  } finally {
    stream.destroy();
  }
  return Buffer.concat(parts, n).subarray(0, HEAD_BYTES);
}

const keyProblems = new WeakSet<Error>();

/**
 * A problem with the key, not with the backup (a wrong passphrase, no key, a loose key file): a
 * verification that hits one has proven nothing either way and records nothing.
 */
export function isKeyProblem(err: unknown): boolean {
  if (err instanceof CryptoError && (err.code === 'wrong-key' || err.code === 'bad-key')) return true;
  return err instanceof Error && keyProblems.has(err);
}

/** Crypto errors name the file they are about. */
export function named(err: unknown, name: string): Error {
  if (err instanceof CryptoError)
    return err.message.startsWith(`"${name}"`) ? err : new CryptoError(err.code, `"${name}": ${err.message}`, err.hint, { cause: err });
  if (err instanceof LifeboatError || isCancelled(err)) return err as Error;
  if (isFsError(err)) return fsError(err, 'read the backup', name);
  return err instanceof Error ? err : new Error(String(err));
}
