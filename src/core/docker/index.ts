// The "docker" domain of src/core: what other folders, the extension, the command line and the tests use from it.
// Other folders import only from here (scripts/check-layout.mjs).
export { waitForContainers } from './containerHealth';
export { DockerDemux, StderrTail, dockerFrame } from './demux';
export { connectDocker, dockerOptions, isEngineDown, pingDocker, toEngineError } from './docker';
export { describeEngine, engineHint, selectEngine } from './dockerEngine';
export type { DockerEngine } from './dockerEngine';
export { runExec, startExec } from './exec';
export type { RunningExec } from './exec';
export { checkHostKey, fingerprint } from './sshHostKeys';
