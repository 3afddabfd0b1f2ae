// The "common" domain of src/core: what other folders, the extension, the command line and the tests use from it.
// Other folders import only from here (scripts/check-layout.mjs).
export { causeChain, causeLines } from './causeChain';
export { nextRun, parseCron, previousRun } from './cron';
export type { CronSchedule, CronZone } from './cron';
export {
  CancelledError,
  ContainerNotRunningError,
  DamagedBackupError,
  DockerUnavailableError,
  LifeboatError,
  LockedError,
  SettingsError,
  fsError,
  isCancelled,
  isFsError,
  throwIfAborted,
} from './errors';
export type { LifeboatErrorOptions, UiStep } from './errors';
export { errorText } from './errorText';
export {
  formatAge,
  formatBytes,
  formatBytesExact,
  formatCount,
  formatCountOf,
  formatDuration,
  formatEstimate,
  formatRunTime,
  formatTime,
  formatUntil,
  formatWhen,
  freshness,
  freshnessSummary,
  shortenPaths,
} from './format';
export type { FreshnessSummary } from './format';
export { silentLogger } from './logger';
export type { Logger } from './logger';
export { notificationText, plainText } from './plainText';
export { quote, quoteList } from './quote';
export { noProgress, progressMessage, withDefaults } from './progress';
export type { OperationOptions, ProgressFn, ProgressUpdate, WithDefaults } from './progress';
export { toolVersion } from './version';
