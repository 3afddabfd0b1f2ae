import type { CronZone } from './cron';
import type { BackupKind } from './naming';
import type { KindStatus } from './scheduler';

const KIND_LABEL: Record<BackupKind, string> = { database: 'Database', config: 'Config', volume: 'Volumes' };

/** "Fri 27 Nov 02:00 UTC", in the schedule's own zone so it reads like the cron expression. */
export function formatRunTime(t: Date, zone: CronZone): string {
  const opts: Intl.DateTimeFormatOptions = { weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' };
  if (zone !== 'local') opts.timeZone = zone;
  return `${new Intl.DateTimeFormat('en-GB', opts).format(t).replace(',', '')}${zone === 'local' ? '' : ` ${zone}`}`;
}

/** "UTC", "local time" or the zone's name, for saying which clock a schedule is read on. */
export function zoneWords(zone: CronZone): string {
  return zone === 'local' ? 'local time' : zone;
}

/** "in 15 h", "in 3 days": how far off a next run is. */
export function formatUntil(t: Date, now: Date): string {
  const minutes = Math.max(0, Math.round((t.getTime() - now.getTime()) / 60000));
  if (minutes < 1) return 'now';
  if (minutes < 60) return `in ${minutes} min`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `in ${hours} h`;
  return `in ${Math.round(hours / 24)} days`;
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
    lines.push(last.outcome === 'ok' ? `Last run: ${when}, ok: ${last.summary ?? ''}` : `Last run: ${when}, FAILED: ${last.problem ?? last.summary ?? 'unknown error'}`);
  } else {
    lines.push('Last run: none yet');
  }
  return lines;
}
