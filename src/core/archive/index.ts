// The "archive" domain of src/core: what other folders, the extension, the command line and the tests use from it.
// Other folders import only from here (scripts/check-layout.mjs).
export { ArchiveGuard, MAX_NAME_BYTES, UnsafeEntry, archivePathComponents, shortName } from './archiveGuard';
export { CONFIG_STAGING_MAX_BYTES, readArchiveEntries, removeStaging, safeExtract } from './safeExtract';
export type { ArchiveEntry } from './safeExtract';
export { checkTarGz } from './tarCheck';
export { tarEntryFacts } from './tarEntryFacts';
