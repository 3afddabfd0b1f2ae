// The "config" domain of src/core: what other folders, the extension, the command line and the tests use from it.
// Other folders import only from here (scripts/check-layout.mjs).
export { DEFAULT_CONFIG_PATHS, archiveConfig, configArchiveName } from './configArchive';
export type { ConfigManifest } from './configArchive';
export { applyFiles, compareWithWorkspace } from './configDiff';
export type { FileComparison } from './configDiff';
