// The "schedule" domain of src/core: what other folders, the extension, the command line and the tests use from it.
// Other folders import only from here (scripts/check-layout.mjs).
export { crontabText, onCalendar, systemdText, systemdUnits } from './scheduleExport';
export type { ScheduleExportInput } from './scheduleExport';
export { scheduleDescription, scheduleLines, zoneWords } from './scheduleText';
export { scheduledJob } from './scheduledJob';
export type { ScheduledJobParts } from './scheduledJob';
export { DEFAULT_SCHEDULES, SCHEDULE_KINDS, SCHEDULE_STATE_FILE, Scheduler, parseSchedules, readScheduleState } from './scheduler';
export type { JobOutcome, KindStatus, SchedulerClock } from './scheduler';
