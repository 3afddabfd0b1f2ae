import { createHash, pbkdf2 } from 'node:crypto';
import { CryptoError } from './cryptoError';

/**
 * How `openssl enc` turned the passphrase into key and IV:
 * - `pbkdf2`: `-pbkdf2` (PBKDF2-HMAC-SHA256, `-iter`, default 10000), what Lifeboat writes;
 * - `sha256`: EVP_BytesToKey with SHA-256 and one round, OpenSSL ≥ 1.1's default for `-k`/`-pass`,
 *   which is what the runbook's command produces;
 * - `md5`: EVP_BytesToKey with MD5, the default of OpenSSL 1.0 and older.
 */
export type OpensslKdf = 'pbkdf2' | 'sha256' | 'md5';

export const OPENSSL_MAGIC = Buffer.from('Salted__');
export const OPENSSL_SALT_BYTES = 8;
export const OPENSSL_HEADER_BYTES = OPENSSL_MAGIC.length + OPENSSL_SALT_BYTES;
export const OPENSSL_DEFAULT_ITERATIONS = 10000;
/**
 * The PBKDF2 rounds Lifeboat writes and reads. The count of a file comes from its manifest,
 * which is untrusted input like the file: 2^31-1 rounds cost about 18 minutes per passphrase
 * try. 1000 is NIST SP 800-132's minimum; 10 million is 16 times OWASP's 600,000 for
 * PBKDF2-HMAC-SHA256, a few seconds per try, and a thousand times OpenSSL's own default.
 */
export const OPENSSL_MIN_ITERATIONS = 1000;
export const OPENSSL_MAX_ITERATIONS = 10_000_000;

/** Refuses a PBKDF2 round count outside the bounds above, naming it and where it came from. */
export function checkPbkdf2Iterations(iterations: number, from: string): void {
  if (Number.isSafeInteger(iterations) && iterations >= OPENSSL_MIN_ITERATIONS && iterations <= OPENSSL_MAX_ITERATIONS) return;
  throw new CryptoError(
    'unsupported',
    `the PBKDF2 iteration count ${String(iterations)} (${from}) is not an integer from ${OPENSSL_MIN_ITERATIONS} to ${OPENSSL_MAX_ITERATIONS.toLocaleString('en-US')}`,
    `Lifeboat writes ${OPENSSL_DEFAULT_ITERATIONS}, as \`openssl enc -pbkdf2\` does. A count outside that range would make each passphrase try take from nothing to hours. ` +
      'If the manifest (<backup>.json) was edited or damaged, take it from another copy, or delete its "encryption" entry so the key derivation is detected.',
  );
}
const KEY_BYTES = 32;
const IV_BYTES = 16;

export interface KeyIv {
  key: Buffer;
  iv: Buffer;
}

function split(material: Buffer): KeyIv {
  return { key: material.subarray(0, KEY_BYTES), iv: material.subarray(KEY_BYTES, KEY_BYTES + IV_BYTES) };
}

/** EVP_BytesToKey with one round: D_i = H(D_{i-1} ‖ pass ‖ salt), concatenated. */
export function evpBytesToKey(hash: 'md5' | 'sha256', passphrase: Uint8Array, salt: Uint8Array): KeyIv {
  const blocks: Buffer[] = [];
  let prev: Buffer = Buffer.alloc(0);
  let total = 0;
  while (total < KEY_BYTES + IV_BYTES) {
    prev = createHash(hash).update(prev).update(passphrase).update(salt).digest();
    blocks.push(prev);
    total += prev.length;
  }
  return split(Buffer.concat(blocks));
}

export function opensslPbkdf2(passphrase: Uint8Array, salt: Uint8Array, iterations: number): Promise<KeyIv> {
  return new Promise((resolve, reject) => {
    // Every caller checked it already; this keeps a bare RangeError or an hour of work out of reach.
    checkPbkdf2Iterations(iterations, 'asked for');
    pbkdf2(passphrase, salt, iterations, KEY_BYTES + IV_BYTES, 'sha256', (err, out) => (err ? reject(err) : resolve(split(out))));
  });
}

export async function deriveOpensslKeyIv(
  kdf: OpensslKdf,
  passphrase: Uint8Array,
  salt: Uint8Array,
  iterations = OPENSSL_DEFAULT_ITERATIONS,
): Promise<KeyIv> {
  return kdf === 'pbkdf2' ? opensslPbkdf2(passphrase, salt, iterations) : evpBytesToKey(kdf, passphrase, salt);
}

/** Strings become their UTF-8 bytes, which is what a shell hands `openssl -k` in a UTF-8 locale. */
export function passphraseBytes(passphrase: string | Uint8Array): Buffer {
  return typeof passphrase === 'string' ? Buffer.from(passphrase, 'utf8') : Buffer.from(passphrase);
}

/**
 * What a manifest records about the key of an OpenSSL file: the cipher and key derivation. A
 * hash of the passphrase would let anyone with the manifest test guesses offline, so nothing
 * derived from it is recorded.
 */
export function opensslKeyFingerprint(kdf: OpensslKdf, iterations = OPENSSL_DEFAULT_ITERATIONS): string {
  return kdf === 'pbkdf2' ? `aes-256-cbc:pbkdf2-sha256:${iterations}` : `aes-256-cbc:evp-bytestokey-${kdf}`;
}
