// The encryption formats of backups: age (the default) and OpenSSL `enc` (the runbook's).
export { AgeEncrypt } from './ageEncrypt';
export type { AgeEncryptOptions } from './ageEncrypt';
export { AgeDecrypt } from './ageDecrypt';
export type { AgeDecryptOptions } from './ageDecrypt';
export {
  generateAgeKeyPair,
  parseAgeRecipient,
  parseAgeIdentity,
  parseAgeIdentityFile,
  ageRecipientOf,
  ageKeyFingerprint,
  recipientShortId,
} from './ageKeys';
export type { AgeKeyPair, X25519Identity } from './ageKeys';
export { DEFAULT_SCRYPT_LOG_N, MAX_SCRYPT_LOG_N } from './ageStanzas';
export { OpensslEncrypt } from './opensslEncrypt';
export type { OpensslEncryptOptions } from './opensslEncrypt';
export { OpensslDecrypt, DETECT_PROBE_BYTES } from './opensslDecrypt';
export type { OpensslDecryptOptions } from './opensslDecrypt';
export { OPENSSL_DEFAULT_ITERATIONS, opensslKeyFingerprint } from './opensslKdf';
export type { OpensslKdf } from './opensslKdf';
export { readKeyFile } from './keyFile';
export { CryptoError } from './cryptoError';
export type { CryptoErrorCode } from './cryptoError';
export { detectEncryptionFormat } from './detectEncryptionFormat';
export type { EncryptionFormat } from './detectEncryptionFormat';
// Also used by other folders and the tests.
export { AGE_INTRO, MAX_HEADER_BYTES, checkAgePrefix, encodeAgeHeader, parseAgeHeader, verifyAgeHeaderMac } from './ageHeader';
export { unwrapScrypt, unwrapX25519, wrapScrypt, wrapX25519 } from './ageStanzas';
export { decodeBase64NoPad, encodeBase64NoPad } from './base64';
export { bech32Decode, bech32Encode } from './bech32';
export { tamperedError, truncatedError, wrongKeyError } from './cryptoError';
export { checkPbkdf2Iterations, evpBytesToKey } from './opensslKdf';
export { looksLikePlaintext } from './plaintextSniff';
