// The "store" domain of src/core: what other folders, the extension, the command line and the tests use from it.
// Other folders import only from here (scripts/check-layout.mjs).
export { AtomicFile, freeName, partialPathOf, partialStream } from './atomicFile';
export { KINDS, describeBackupCount, describeFailed, failedBackups, summarizeKinds } from './backupTotals';
export type { KindTotals } from './backupTotals';
export { listBackups, withEncryptedCopies } from './catalog';
export type { BackupEntry } from './catalog';
export { diskSpace } from './diskSpace';
export type { DiskSpace } from './diskSpace';
export { PRIVATE_DIR, PRIVATE_FILE, ensurePrivateDir, fsyncDir, fsyncPath, readHead, removeQuietly, writeFileAtomic } from './fsSafe';
export { HALF_WRITTEN_MS, acquireLock, liveLocks, lockedMessage } from './lock';
export type { HeldLock } from './lock';
export {
  MANIFEST_VERSION,
  contentSha256,
  manifestPath,
  readManifest,
  recordVerification,
  verificationState,
  writeManifest,
} from './manifest';
export type { Manifest, VerificationRecord } from './manifest';
export {
  KIND_FOLDERS,
  backupPrefix,
  databaseBackupName,
  manifestName,
  parseBackupName,
  partialName,
  safeSegment,
  timestamp,
} from './naming';
export type { BackupKind, Encryption } from './naming';
export { WRITER_OPERATION, sweepStalePartials } from './partials';
export { assertRoomForBackup } from './storageGuard';
export { interruptedStops, removeStoppedRecord, stoppedRecord } from './stoppedRecord';
export type { InterruptedStop, StoppedNote, StoppedRecord } from './stoppedRecord';
