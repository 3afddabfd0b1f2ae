// The "verify" domain of src/core: what other folders, the extension, the command line and the tests use from it.
// Other folders import only from here (scripts/check-layout.mjs).
export { verifyBackup } from './verify';
export type { VerifyDepth, VerifyResult } from './verify';
