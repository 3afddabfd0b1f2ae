// The "encryption" domain of src/core: what other folders, the extension, the command line and the tests use from it.
// Other folders import only from here (scripts/check-layout.mjs).
export { isKeyProblem, named, openBackupSource, plainSource } from './backupSource';
export type { BackupSource, KeyProvider } from './backupSource';
export { decryptFile, decryptStream, describeEncryptedFile, plaintextPathOf } from './decryptFile';
export type { DecryptKey, EncryptedFileInfo } from './decryptFile';
export { ENCRYPTED_EXTENSIONS, encryptFile, encryptionFingerprint, removePlaintextCopy } from './encryptFile';
export { fileKeys } from './fileKeys';
export type { KeyFiles } from './fileKeys';
export { passphraseStrength } from './passphraseStrength';
