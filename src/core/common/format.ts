import type { CronZone } from './cron';

/**
 * The one formatter for what people read: sizes, counts, times, ages and durations, shared by
 * the tree, tooltips, toasts, the status bar, the reports and the command line so that the
 * same fact reads the same everywhere.
 */

/** "26,242": grouped the same way in every message, whatever the machine's locale. */
export function formatCount(n: number): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: 1 });
}

/** "1 backup", "26,242 rows": a count with its noun, the plural taken when it is not one. */
export function formatCountOf(n: number, singular: string, plural = `${singular}s`): string {
  return `${formatCount(n)} ${n === 1 ? singular : plural}`;
}

/**
 * A moment as people read it: "2026-11-27 19:46 UTC", never a raw ISO string. Takes the ISO
 * text that manifests and reports store as well; `seconds` where two times can share a minute.
 */
export function formatTime(t: Date | string, seconds = false): string {
  const d = typeof t === 'string' ? new Date(t) : t;
  if (Number.isNaN(d.getTime())) return String(t);
  return `${d
    .toISOString()
    .replace('T', ' ')
    .slice(0, seconds ? 19 : 16)} UTC`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

/**
 * A size where two sizes are compared ("118 MB (123,456,789 bytes)"): the rounded size reads
 * at a glance, the exact count shows a difference that rounding would hide.
 */
export function formatBytesExact(bytes: number): string {
  return bytes < 1024 ? formatCountOf(bytes, 'byte') : `${formatBytes(bytes)} (${formatCountOf(bytes, 'byte')})`;
}

export function formatAge(from: Date, now: Date = new Date()): string {
  const seconds = Math.max(0, Math.round((now.getTime() - from.getTime()) / 1000));
  if (seconds < 60) return 'just now';
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.floor(hours / 24)} days ago`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * When a backup was taken, as short as a narrow side bar needs: "Today 17:41", "Yesterday
 * 02:00", "27 Nov 17:41", "27 Nov 2025 17:41". UTC, like the file names and the tooltips,
 * so the label and the name never disagree; a month's name leaves no day-month doubt.
 * `seconds` for backups taken within the same minute, which would otherwise read the same.
 */
export function formatWhen(t: Date, now: Date = new Date(), seconds = false): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const time = `${p(t.getUTCHours())}:${p(t.getUTCMinutes())}${seconds ? `:${p(t.getUTCSeconds())}` : ''}`;
  const day = (d: Date) => Math.floor(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) / 86_400_000);
  const days = day(now) - day(t);
  if (days === 0) return `Today ${time}`;
  if (days === 1) return `Yesterday ${time}`;
  const year = t.getUTCFullYear() === now.getUTCFullYear() ? '' : ` ${t.getUTCFullYear()}`;
  return `${t.getUTCDate()} ${MONTHS[t.getUTCMonth()]}${year} ${time}`;
}

/** "in 15 h", "in 3 days": how far off a moment to come is, in the units of formatAge. */
export function formatUntil(t: Date, now: Date = new Date()): string {
  const minutes = Math.max(0, Math.round((t.getTime() - now.getTime()) / 60000));
  if (minutes < 1) return 'now';
  if (minutes < 60) return `in ${minutes} min`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `in ${hours} h`;
  return `in ${Math.round(hours / 24)} days`;
}

const RUN_TIME_PARTS: Intl.DateTimeFormatOptions = {
  weekday: 'short',
  day: 'numeric',
  month: 'short',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
};

/** "Fri 27 Nov 02:00 UTC", in the schedule's own zone so it reads like the cron expression. */
export function formatRunTime(t: Date, zone: CronZone): string {
  const opts: Intl.DateTimeFormatOptions = zone === 'local' ? RUN_TIME_PARTS : { ...RUN_TIME_PARTS, timeZone: zone };
  return `${new Intl.DateTimeFormat('en-GB', opts).format(t).replace(',', '')}${zone === 'local' ? '' : ` ${zone}`}`;
}

/**
 * A span of time in the coarsest unit that still says something: `1.4 s`, `8 s`, `3 min`,
 * `2 h`; tenths only under ten seconds, where they are the difference between fast and slow.
 */
export function formatDuration(ms: number): string {
  if (ms < 9_950) return `${Math.max(0.1, Math.round(ms / 100) / 10).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  return `${Math.round(minutes / 60)} h`;
}

/** An estimate ("about 4 s"): tenths of a second would claim a precision a guess does not have. */
export function formatEstimate(ms: number): string {
  return ms < 59_500 ? `${Math.max(1, Math.round(ms / 1000))} s` : formatDuration(ms);
}

/** `ms` must be positive: progress lines show a rate only after half a second. */
export function formatRate(bytes: number, ms: number): string {
  return `${formatBytes((bytes * 1000) / ms)}/s`;
}

export type Freshness = 'fresh' | 'stale' | 'old' | 'none';

/** The runbook's rule: a backup younger than 24 hours is fresh; twice that is a problem. */
export function freshness(newest: Date | undefined, maxAgeHours = 24, now: Date = new Date()): Freshness {
  if (!newest) return 'none';
  const hours = (now.getTime() - newest.getTime()) / 3_600_000;
  if (hours < maxAgeHours) return 'fresh';
  if (hours < maxAgeHours * 2) return 'stale';
  return 'old';
}

export interface FreshnessSummary {
  state: Freshness;
  newest?: string;
  ageHours?: number;
  maxAgeHours: number;
}

/** The newest database backup against the freshness rule, as both reports print it. */
export function freshnessSummary(newest: Date | undefined, maxAgeHours: number, now: Date): FreshnessSummary {
  return {
    state: freshness(newest, maxAgeHours, now),
    newest: newest?.toISOString(),
    ageHours: newest ? Math.round(((now.getTime() - newest.getTime()) / 3_600_000) * 10) / 10 : undefined,
    maxAgeHours,
  };
}

/**
 * Paths in a notification, short: relative to the workspace folder when inside it, else from
 * the home folder as "~/…". The log keeps them whole; a notification has a line or two.
 */
export function shortenPaths(text: string, workspace: string | undefined, home: string | undefined): string {
  let out = text;
  const strip = (base: string, by: string) => {
    const root = base.replace(/\/+$/, '');
    if (root.length < 2) return;
    out = out.split(`${root}/`).join(by);
  };
  if (workspace) strip(workspace, '');
  if (home) strip(home, '~/');
  return out;
}
