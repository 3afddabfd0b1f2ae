// The "database" domain of src/core: what other folders, the extension, the command line and the tests use from it.
// Other folders import only from here (scripts/check-layout.mjs).
export { customDumpFacts, isCustomFormat, isCustomHead, loadCustomDumpIntoNewDatabase } from './customDump';
export { backupDatabase } from './databaseBackup';
export { restoreDatabase, undoRestore } from './databaseRestore';
export type { DryRunSummary, RestoreOptions } from './databaseRestore';
export { listSideDatabases, sideName, swapDatabases } from './databaseSwap';
export type { SideDatabase } from './databaseSwap';
export { checkDumpFile, checkServerVersion, discard, gzipProblem, peekDump, validateDump } from './dumpCheck';
export { DumpScanStream, DumpScanner, majorVersion } from './dumpScanner';
export type { DumpFacts } from './dumpScanner';
export { dropDatabase, loadDumpIntoNewDatabase } from './scratchRestore';
export { dropScratchCommand, dropScratchDatabases, scratchDatabases } from './scratchDatabases';
