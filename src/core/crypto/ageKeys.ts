import { createHash, generateKeyPairSync, KeyObject } from 'node:crypto';
import { bech32Decode, bech32Encode } from './bech32';
import { CryptoError } from './cryptoError';
import { rawPrivateKey, rawPublicKey, x25519PrivateKey } from './x25519';

const RECIPIENT_HRP = 'age';
const IDENTITY_HRP = 'age-secret-key-';

export interface AgeKeyPair {
  /** `AGE-SECRET-KEY-1…`: secret, for identity files and SecretStorage only. */
  identity: string;
  /** `age1…`: public, safe for settings and manifests. */
  recipient: string;
}

export interface X25519Identity {
  privateKey: KeyObject;
  publicKey: Buffer;
  recipient: string;
}

export function generateAgeKeyPair(): AgeKeyPair {
  const { privateKey } = generateKeyPairSync('x25519');
  return {
    identity: bech32Encode(IDENTITY_HRP, rawPrivateKey(privateKey)).toUpperCase(),
    recipient: bech32Encode(RECIPIENT_HRP, rawPublicKey(privateKey)),
  };
}

/** The 32-byte public key of an `age1…` recipient. The error never repeats the input. */
export function parseAgeRecipient(text: string): Buffer {
  const decoded = bech32Decode(text.trim());
  if (!decoded || decoded.hrp !== RECIPIENT_HRP || decoded.data.length !== 32 || text.trim() !== text.trim().toLowerCase()) {
    throw new CryptoError(
      'bad-key',
      'not a valid age recipient (expected a public key starting with age1)',
      'Copy the recipient printed by `age-keygen` (or `age-keygen -y identity.txt`); other kinds such as SSH keys are not supported.',
    );
  }
  return decoded.data;
}

/** The error deliberately leaves the text out: it may be a secret with a typo. */
export function parseAgeIdentity(text: string): X25519Identity {
  const decoded = bech32Decode(text.trim());
  if (!decoded || decoded.hrp !== IDENTITY_HRP || decoded.data.length !== 32 || text.trim() !== text.trim().toUpperCase()) {
    throw new CryptoError(
      'bad-key',
      'not a valid age identity (expected a secret key starting with AGE-SECRET-KEY-1)',
      'Use an identity file made by `age-keygen`; other kinds such as SSH keys and plugins are not supported.',
    );
  }
  const privateKey = x25519PrivateKey(decoded.data);
  const publicKey = rawPublicKey(privateKey);
  return { privateKey, publicKey, recipient: bech32Encode(RECIPIENT_HRP, publicKey) };
}

export function ageRecipientOf(identity: string): string {
  return parseAgeIdentity(identity).recipient;
}

/**
 * The identities of an identity file in age's format: one per line, `#` comments and blank
 * lines ignored (so `age-keygen -o` output reads as is). A bad line is reported by number only.
 */
export function parseAgeIdentityFile(text: string, source = 'the identity file'): X25519Identity[] {
  const identities: X25519Identity[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].replace(/\r$/, '').trim();
    if (line === '' || line.startsWith('#')) continue;
    try {
      identities.push(parseAgeIdentity(line));
    } catch (err) {
      // No cause: the parser's words may quote the line, which holds a secret key (contract 8).
      throw new CryptoError('bad-key', `line ${i + 1} of ${source} is not an age identity`, (err as CryptoError).hint);
    }
  }
  if (identities.length === 0) {
    throw new CryptoError(
      'bad-key',
      `${source} holds no age identity`,
      'Create one with `age-keygen -o key.txt` and point Lifeboat at it.',
    );
  }
  return identities;
}

/**
 * What a manifest records about the key of an age file: `scrypt` for a passphrase (nothing
 * derived from it, which would help a guesser), else the sorted public recipients. Both are
 * enough to tell which key a restore needs, and neither is a secret.
 */
export function ageKeyFingerprint(key: { passphrase: unknown } | { recipients: readonly string[] }): string {
  if ('passphrase' in key) return 'scrypt';
  return [...new Set(key.recipients.map((r) => r.trim()))]
    .sort()
    .map((r) => `X25519:${r}`)
    .join(',');
}

/** A short stable id for one public recipient, where the full `age1…` string is too long. */
export function recipientShortId(recipient: string): string {
  return createHash('sha256').update(recipient.trim()).digest('hex').slice(0, 16);
}
