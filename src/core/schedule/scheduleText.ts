import { formatRunTime, formatUntil } from '../common';
import type { CronZone } from '../common';
import type { BackupKind } from '../store';
import type { KindStatus } from './scheduler';

const KIND_LABEL: Record<BackupKind, string> = { database: 'Database', config: 'Config', volume: 'Volumes' };

/** "UTC", "local time" or the zone's name, for saying which clock a schedule is read on. */
export function zoneWords(zone: CronZone): string {
  return zone === 'local' ? 'local time' : zone;
}

/** The tree's short word on a kind's schedule, e.g. "next Fri 27 Nov 02:00 UTC" or "running". */
export function scheduleDescription(s: KindStatus): string {
  if (s.running) return 'backing up now';
  if (s.elsewhere) return 'waiting: busy elsewhere';
  const failed = s.last?.outcome === 'failed' ? 'last run failed · ' : '';
  return `${failed}next ${s.next ? formatRunTime(s.next, s.zone) : 'never'}`;
}

/** Lines for tooltips: schedule, next run, last run and its outcome. */
export function scheduleLines(s: KindStatus, now: Date): string[] {
  const lines = [`${KIND_LABEL[s.kind]} schedule: ${s.cron} (${zoneWords(s.zone)})`];
  lines.push(`Next run: ${s.next ? `${formatRunTime(s.next, s.zone)} (${formatUntil(s.next, now)})` : 'never'}`);
  const last = s.last;
  if (s.running) lines.push('Running now.');
  else if (s.elsewhere) lines.push(`Waiting: ${s.elsewhere}`);
  if (last?.lastStart) {
    const when = formatRunTime(new Date(last.lastStart), s.zone);
    lines.push(
      last.outcome === 'ok'
        ? `Last run: ${when}, ok: ${last.summary ?? ''}`
        : `Last run: ${when}, FAILED: ${last.problem ?? last.summary ?? 'unknown error'}`,
    );
  } else {
    lines.push('Last run: none yet');
  }
  return lines;
}
