import { generateKeyPairSync, randomBytes, scrypt } from 'node:crypto';
import { hkdfSha256, openChaCha, sealChaCha } from './aead';
import { decodeBase64NoPad, encodeBase64NoPad } from './base64';
import { AgeStanza } from './ageHeader';
import { CryptoError, tamperedError } from './cryptoError';
import { X25519Identity } from './ageKeys';
import { rawPublicKey, x25519 } from './x25519';

export const FILE_KEY_BYTES = 16;
const X25519_INFO = 'age-encryption.org/v1/X25519';
const SCRYPT_LABEL = Buffer.from('age-encryption.org/v1/scrypt');
const ZERO_NONCE = Buffer.alloc(12);
const WRAPPED_BYTES = FILE_KEY_BYTES + 16;

/** The age CLI's default: about a second of work on a laptop. */
export const DEFAULT_SCRYPT_LOG_N = 18;
/**
 * The highest work factor (log2 of scrypt's N) read or written. A file's header is untrusted
 * input, and each step doubles both time and memory: 22, which the Go age implementation still
 * accepts, costs 4 GiB and tens of seconds per passphrase try. 20 is 1 GiB and a few seconds,
 * four times the CLI's default 18, and leaves room for rage, which picks about a second of work.
 */
export const MAX_SCRYPT_LOG_N = 20;

export function wrapX25519(fileKey: Uint8Array, recipient: Uint8Array): AgeStanza {
  const { privateKey } = generateKeyPairSync('x25519');
  const share = rawPublicKey(privateKey);
  const shared = x25519(privateKey, recipient);
  if (!shared)
    throw new CryptoError('bad-key', 'the age recipient is not a usable X25519 public key', 'Use a recipient printed by `age-keygen`.');
  const key = hkdfSha256(shared, Buffer.concat([share, recipient]), X25519_INFO);
  return { type: 'X25519', args: [encodeBase64NoPad(share)], body: sealChaCha(key, ZERO_NONCE, fileKey) };
}

/** The file key, or undefined when the stanza is for someone else. */
export function unwrapX25519(stanza: AgeStanza, identity: X25519Identity): Buffer | undefined {
  const share = stanza.args.length === 1 ? decodeBase64NoPad(stanza.args[0]) : undefined;
  if (!share || share.length !== 32 || stanza.body.length !== WRAPPED_BYTES) throw tamperedError();
  const shared = x25519(identity.privateKey, share);
  if (!shared) throw tamperedError();
  const key = hkdfSha256(shared, Buffer.concat([share, identity.publicKey]), X25519_INFO);
  return openChaCha(key, ZERO_NONCE, stanza.body);
}

/** The bytes of scrypt's table at r = 8: 128·N·r. */
function scryptBytes(logN: number): number {
  return 128 * 2 ** logN * 8;
}

function scryptKey(passphrase: Uint8Array | string, salt: Buffer, logN: number): Promise<Buffer> {
  const N = 2 ** logN;
  // OpenSSL refuses unless maxmem covers the table, plus its own slack.
  const maxmem = scryptBytes(logN) + (32 << 20);
  return new Promise((resolve, reject) => {
    scrypt(passphrase, Buffer.concat([SCRYPT_LABEL, salt]), 32, { N, r: 8, p: 1, maxmem }, (err, key) => {
      if (!err) return resolve(key);
      // Under a memory limit OpenSSL says only "malloc failure"; the cause is the table's size.
      reject(
        new CryptoError(
          'unsupported',
          `the passphrase key derivation (scrypt, work factor ${logN}, ${scryptBytes(logN) >> 20} MiB of memory) failed: ${err.message}`,
          'Give this process more memory (a container or systemd memory limit, or other programs using it), then retry.',
        ),
      );
    });
  });
}

export async function wrapScrypt(fileKey: Uint8Array, passphrase: Uint8Array | string, logN = DEFAULT_SCRYPT_LOG_N): Promise<AgeStanza> {
  if (!Number.isInteger(logN) || logN < 1 || logN > MAX_SCRYPT_LOG_N) {
    throw new CryptoError('bad-key', `the scrypt work factor ${String(logN)} is not an integer from 1 to ${MAX_SCRYPT_LOG_N}`);
  }
  const salt = randomBytes(16);
  const key = await scryptKey(passphrase, salt, logN);
  return { type: 'scrypt', args: [encodeBase64NoPad(salt), String(logN)], body: sealChaCha(key, ZERO_NONCE, fileKey) };
}

export async function unwrapScrypt(stanza: AgeStanza, passphrase: Uint8Array | string): Promise<Buffer | undefined> {
  const salt = stanza.args.length === 2 ? decodeBase64NoPad(stanza.args[0]) : undefined;
  if (!salt || salt.length !== 16 || !/^[1-9][0-9]*$/.test(stanza.args[1]) || stanza.body.length !== WRAPPED_BYTES) throw tamperedError();
  const logN = Number(stanza.args[1]);
  if (logN > MAX_SCRYPT_LOG_N) {
    const shown = stanza.args[1].length > 12 ? `${stanza.args[1].slice(0, 12)}…` : stanza.args[1];
    throw new CryptoError(
      'unsupported',
      `the file's passphrase work factor is ${shown} (scrypt N = 2^${shown}${logN <= 40 ? `, ${scryptBytes(logN) >> 20} MiB of memory per try` : ''}), above Lifeboat's maximum ${MAX_SCRYPT_LOG_N} (${scryptBytes(MAX_SCRYPT_LOG_N) >> 20} MiB)`,
      `age's CLI writes ${DEFAULT_SCRYPT_LOG_N}. If you trust where the file came from, decrypt it with \`age -d\` and encrypt it again with the default work factor.`,
    );
  }
  return openChaCha(await scryptKey(passphrase, salt, logN), ZERO_NONCE, stanza.body);
}
