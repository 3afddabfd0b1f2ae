import { nextRun } from '../common';
import { SCHEDULE_KINDS, parseSchedules, readScheduleState } from '../schedule';
import type { LifeboatSettings } from '../settings';
import type { ScheduleStatus } from './statusReport';

/**
 * The schedule as the status report shows it without a running scheduler (the command line):
 * next runs from the settings, last runs from the state file the VS Code windows write.
 * Empty when schedules are off for the folder; an invalid expression is left out here (the
 * editor reports it).
 */
export async function plannedRuns(settings: LifeboatSettings, now: Date): Promise<ScheduleStatus[]> {
  const config = settings.schedule;
  if (!config.enabled) return [];
  const { schedules } = parseSchedules(config.crons);
  const state = await readScheduleState(settings.backupDirectory);
  const out: ScheduleStatus[] = [];
  for (const kind of SCHEDULE_KINDS) {
    const s = schedules[kind];
    if (!s) continue;
    const last = state.kinds[kind];
    out.push({
      kind,
      cron: s.source,
      next: nextRun(s, now, config.zone)?.toISOString(),
      last: last?.lastStart,
      lastOk: last?.outcome ? last.outcome === 'ok' : undefined,
    });
  }
  return out;
}
