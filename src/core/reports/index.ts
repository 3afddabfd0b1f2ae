// The "reports" domain of src/core: what other folders, the extension, the command line and the tests use from it.
// Other folders import only from here (scripts/check-layout.mjs).
export { buildHealthReport, renderHealthMarkdown } from './healthReport';
export type { HealthReport } from './healthReport';
export type { LeftStoppedFacts } from './notices';
export {
  backupCreatedNotice,
  cleanupLogLine,
  configArchivedNotice,
  databaseRestoredNotice,
  leftStoppedNotice,
  newBackupFailedNotice,
  problemAbout,
  snapshotCreatedNotice,
  verifyAllNotice,
  verifyNotice,
  volumeRecreatedNotice,
  volumeRestoredNotice,
} from './notices';
export { quote, quoteList } from '../common';
export { plannedRuns } from './scheduleStatus';
export { buildStatusReport, renderStatusMarkdown, renderStatusText } from './statusReport';
export type { ScheduleStatus, StatusInput, StatusReport } from './statusReport';
