// The "volume" domain of src/core: what other folders, the extension, the command line and the tests use from it.
// Other folders import only from here (scripts/check-layout.mjs).
export { VolumeMissingError, volumeExists, waitForVolumeCleanup } from './helperContainer';
export type { VolumeUser } from './helperContainer';
export { InterruptedRestoreError, PartlyRestoredError, checkLeftovers } from './volumeLeftovers';
export { checkAgainstManifest } from './restoreStage';
export { restoreVolume } from './volumeRestore';
export { startLeftStopped } from './startLeftStopped';
export type { VolumeRestoreOptions, VolumeRestoreResult } from './volumeRestore';
export { checkVolumeRestore } from './volumeRestoreCheck';
export type { VolumeRestoreCheck } from './volumeRestoreCheck';
export { refuseOutsiders, snapshotManifest, snapshotVolumeName } from './restorePlan';
export { unpackedBytes } from './volumeRoom';
export { containersToStop, lastSnapshotDuration, snapshotVolume } from './volumeSnapshot';
export type { VolumeManifest } from './volumeSnapshot';
export { TarTruncated, VolumeTarScan, checkVolumeArchive, explainArchive } from './volumeTarScan';
