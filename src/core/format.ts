/** Human-readable sizes and ages for the tree, the status bar and messages. */

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

/** Short age for the status bar: `5m`, `3h`, `2d`. */
export function formatShortAge(from: Date, now: Date = new Date()): string {
  const minutes = Math.max(0, Math.floor((now.getTime() - from.getTime()) / 60000));
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h`;
  return `${Math.floor(hours / 24)}d`;
}

/** A span of time in the coarsest unit that still says something: `8 s`, `3 min`, `2 h`. */
export function formatDuration(ms: number): string {
  const seconds = Math.max(1, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  return `${Math.round(minutes / 60)} h`;
}

export function formatRate(bytes: number, ms: number): string {
  if (ms <= 0) return '';
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
