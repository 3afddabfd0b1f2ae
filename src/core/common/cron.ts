import { SettingsError } from './errors';

/**
 * Which clock a schedule's wall times are read on: 'UTC', 'local' (this computer's zone) or an
 * IANA zone name such as 'Europe/Berlin' (checked where the setting is read).
 */
export type CronZone = string;

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'] as const;
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

const FIELDS: readonly FieldSpec[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS },
  // 7 is Sunday too, as in every cron since Vixie's.
  { name: 'day of week', min: 0, max: 7, names: DAYS },
];

const MACROS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** A parsed five-field expression: the allowed values of each field. */
export interface CronSchedule {
  /** The expression as written (trimmed). */
  readonly source: string;
  readonly minutes: ReadonlySet<number>;
  readonly hours: ReadonlySet<number>;
  readonly daysOfMonth: ReadonlySet<number>;
  readonly months: ReadonlySet<number>;
  /** 0 = Sunday … 6 = Saturday (a 7 in the expression is stored as 0). */
  readonly daysOfWeek: ReadonlySet<number>;
  /**
   * Vixie cron's rule: when neither day field starts with `*`, a day matches if EITHER
   * matches (`0 2 1 * Mon` runs on the 1st and on every Monday); otherwise both must.
   */
  readonly dayOr: boolean;
}

/**
 * Parses `minute hour day-of-month month day-of-week` (numbers, `*`, ranges `a-b`, steps
 * `*\/n` and `a-b/n` and `a/n`, lists, JAN–DEC and SUN–SAT in any case) or one of the macros
 * `@daily`, `@weekly`, `@monthly`, `@yearly`, `@hourly`. `setting` names the setting it came
 * from, so the error can say where to fix it.
 */
export function parseCron(expression: string, setting?: string): CronSchedule {
  const source = (expression ?? '').trim();
  const fail = (why: string): never => {
    throw new SettingsError(
      `Invalid cron expression "${source}"${setting ? ` in the setting ${setting}` : ''}: ${why}.`,
      'Use five fields, minute hour day-of-month month day-of-week, e.g. "0 2 * * *" for every day at 02:00, or "0 3 * * sun" for Sundays at 03:00.',
    );
  };
  if (!source) fail('it is empty');
  let text = source;
  if (text.startsWith('@')) {
    const macro = MACROS[text.toLowerCase()];
    if (!macro) fail(`${text} is not a macro Lifeboat knows (${Object.keys(MACROS).join(', ')})`);
    text = macro;
  }
  const parts = text.split(/\s+/);
  if (parts.length !== 5) fail(`it has ${parts.length} field${parts.length === 1 ? '' : 's'}, not 5`);
  const sets = parts.map((p, i) => parseField(p, FIELDS[i], fail));
  const daysOfWeek = new Set([...sets[4]].map((d) => d % 7));
  const schedule: CronSchedule = {
    source,
    minutes: sets[0],
    hours: sets[1],
    daysOfMonth: sets[2],
    months: sets[3],
    daysOfWeek,
    dayOr: !parts[2].startsWith('*') && !parts[4].startsWith('*'),
  };
  if (!schedule.dayOr && !parts[2].startsWith('*')) {
    // Only the day of month restricts the day: some chosen month must have one of the days.
    const possible = [...schedule.months].some((m) => [...schedule.daysOfMonth].some((d) => d <= DAYS_IN_MONTH[m - 1]));
    if (!possible) fail('no month has the given days, so it would never run');
  }
  return schedule;
}

function parseField(text: string, spec: FieldSpec, fail: (why: string) => never): Set<number> {
  // `text` is never empty: the fields come from splitting the trimmed expression on white space.
  const values = new Set<number>();
  for (const item of text.split(',')) {
    if (!item) fail(`the ${spec.name} field "${text}" has an empty list item`);
    const [range, stepText, extra] = item.split('/');
    if (extra !== undefined) fail(`"${item}" in the ${spec.name} field has two steps`);
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText) || Number(stepText) < 1)
        fail(`the step "${stepText}" in the ${spec.name} field is not a positive number`);
      step = Number(stepText);
    }
    let lo: number;
    let hi: number;
    if (range === '*') {
      lo = spec.min;
      hi = spec.name === 'day of week' ? 6 : spec.max;
    } else {
      if (range === '')
        fail(
          `"${item}" in the ${spec.name} field has a step but nothing to step over: write "*${item}" for every ${stepText}${ordinal(Number(stepText))} ${spec.name}`,
        );
      const ends = range.split('-');
      if (ends.length > 2) fail(`"${range}" in the ${spec.name} field is not a range`);
      if (ends[0] === '') fail(`"${range}" in the ${spec.name} field: numbers cannot be negative (${spec.min}–${spec.max})`);
      if (ends[1] === '') fail(`the range "${range}" in the ${spec.name} field has no end`);
      lo = value(ends[0], spec, fail);
      hi = ends.length === 2 ? value(ends[1], spec, fail) : stepText !== undefined ? spec.max : lo;
      if (hi < lo) fail(`the range "${range}" in the ${spec.name} field runs backwards`);
    }
    for (let v = lo; v <= hi; v += step) values.add(v);
  }
  return values;
}

function ordinal(n: number): string {
  if (n % 100 >= 11 && n % 100 <= 13) return 'th';
  return ['th', 'st', 'nd', 'rd'][n % 10] ?? 'th';
}

function value(text: string, spec: FieldSpec, fail: (why: string) => never): number {
  let n: number;
  if (/^\d+$/.test(text)) {
    n = Number(text);
  } else {
    const i = spec.names?.indexOf(text.toLowerCase() as never) ?? -1;
    if (i < 0)
      fail(
        `"${text}" is not a valid ${spec.name}${spec.names ? ` (a number or ${spec.names[0].toUpperCase()}–${spec.names.at(-1)!.toUpperCase()})` : ''}`,
      );
    n = i + (spec.name === 'month' ? 1 : 0);
  }
  if (n < spec.min || n > spec.max) fail(`${text} is out of range for the ${spec.name} (${spec.min}–${spec.max})`);
  return n;
}

/** A calendar date and time with no zone: what a clock on the wall shows. */
interface Wall {
  y: number;
  mo: number; // 1–12
  d: number;
  h: number;
  mi: number;
}

const MINUTE = 60_000;
const DAY_MINUTES = 24 * 60;
/**
 * Far enough for any expression that can run at all: the Gregorian calendar, weekdays
 * included, repeats every 400 years, so a date that exists recurs within one cycle. (29
 * February on a given weekday can be 40 years apart across a century that is no leap year.)
 */
const SEARCH_YEARS = 401;

const zoneFormats = new Map<string, Intl.DateTimeFormat>();

function zoneFormat(zone: string): Intl.DateTimeFormat {
  let f = zoneFormats.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
    });
    zoneFormats.set(zone, f);
  }
  return f;
}

function wallOf(t: Date, zone: CronZone): Wall {
  if (zone === 'UTC')
    return { y: t.getUTCFullYear(), mo: t.getUTCMonth() + 1, d: t.getUTCDate(), h: t.getUTCHours(), mi: t.getUTCMinutes() };
  if (zone === 'local') return { y: t.getFullYear(), mo: t.getMonth() + 1, d: t.getDate(), h: t.getHours(), mi: t.getMinutes() };
  const w: Wall = { y: 0, mo: 0, d: 0, h: 0, mi: 0 };
  for (const p of zoneFormat(zone).formatToParts(t)) {
    if (p.type === 'year') w.y = Number(p.value);
    else if (p.type === 'month') w.mo = Number(p.value);
    else if (p.type === 'day') w.d = Number(p.value);
    else if (p.type === 'hour') w.h = Number(p.value);
    else if (p.type === 'minute') w.mi = Number(p.value);
  }
  return w;
}

/** Wall times as minutes on a zone-free calendar, so stepping over them is plain arithmetic. */
function wallToNumber(w: Wall): number {
  return Date.UTC(w.y, w.mo - 1, w.d, w.h, w.mi) / MINUTE;
}

function numberToWall(n: number): Wall {
  const t = new Date(n * MINUTE);
  return { y: t.getUTCFullYear(), mo: t.getUTCMonth() + 1, d: t.getUTCDate(), h: t.getUTCHours(), mi: t.getUTCMinutes() };
}

/** The wall clock at the minute `m` (minutes since the epoch) as a wall number. */
function wallAt(m: number, zone: CronZone): number {
  return wallToNumber(wallOf(new Date(m * MINUTE), zone));
}

/** How far the zone's clock is ahead of UTC at the minute `m`, in minutes. */
function offsetAt(m: number, zone: CronZone): number {
  return wallAt(m, zone) - m;
}

function dayMatches(s: CronSchedule, w: Wall): boolean {
  const dow = new Date(Date.UTC(w.y, w.mo - 1, w.d)).getUTCDay();
  const dom = s.daysOfMonth.has(w.d);
  const wd = s.daysOfWeek.has(dow);
  return s.dayOr ? dom || wd : dom && wd;
}

/**
 * The first matching wall time at or after `from` (forward) or at or before it (backward),
 * stepping a whole month, day or hour at a time where a field rules it out.
 */
function searchWall(s: CronSchedule, from: number, forward: boolean): number | undefined {
  const limit = from + (forward ? 1 : -1) * SEARCH_YEARS * 366 * DAY_MINUTES;
  let n = from;
  while (forward ? n <= limit : n >= limit) {
    const w = numberToWall(n);
    if (!s.months.has(w.mo)) {
      n = forward ? wallToNumber({ y: w.y, mo: w.mo + 1, d: 1, h: 0, mi: 0 }) : wallToNumber({ y: w.y, mo: w.mo, d: 1, h: 0, mi: 0 }) - 1;
      continue;
    }
    if (!dayMatches(s, w)) {
      n = forward ? wallToNumber({ ...w, d: w.d + 1, h: 0, mi: 0 }) : wallToNumber({ ...w, h: 0, mi: 0 }) - 1;
      continue;
    }
    if (!s.hours.has(w.h)) {
      n = forward ? wallToNumber({ ...w, h: w.h + 1, mi: 0 }) : wallToNumber({ ...w, mi: 0 }) - 1;
      continue;
    }
    if (!s.minutes.has(w.mi)) {
      n += forward ? 1 : -1;
      continue;
    }
    return n;
  }
  return undefined;
}

/**
 * The instant a wall time happens. Daylight saving time, the way Vixie and ISC cron treat a
 * job at a fixed time: a wall time skipped by the spring change (02:30 when clocks jump from
 * 02:00 to 03:00) runs at the end of the gap, 03:00; a wall time that happens twice in the
 * autumn runs at its first occurrence only. Zones change their offset at most once a day, so
 * the offsets a day either side are the only two a wall time can have.
 */
function instantOf(wall: number, zone: CronZone): Date {
  if (zone === 'UTC') return new Date(wall * MINUTE);
  const early = wall - offsetAt(wall - DAY_MINUTES, zone);
  const late = wall - offsetAt(wall + DAY_MINUTES, zone);
  for (const m of early <= late ? [early, late] : [late, early]) {
    if (wallAt(m, zone) === wall) return new Date(m * MINUTE);
  }
  // In a gap: the end of the gap is the first instant whose wall time is later than `wall`.
  let lo = Math.min(early, late); // before the gap
  let hi = Math.max(early, late); // after it
  while (hi - lo > 1) {
    const mid = lo + Math.floor((hi - lo) / 2);
    if (wallAt(mid, zone) > wall) hi = mid;
    else lo = mid;
  }
  return new Date(hi * MINUTE);
}

/** The first time strictly after `after` that the schedule runs; undefined if it never does. */
export function nextRun(s: CronSchedule, after: Date, zone: CronZone = 'UTC'): Date | undefined {
  let from = wallToNumber(wallOf(after, zone)) + 1;
  for (;;) {
    const wall = searchWall(s, from, true);
    if (wall === undefined) return undefined;
    const at = instantOf(wall, zone);
    // A wall time of the second pass of an autumn hour maps to its first pass, which is over.
    if (at.getTime() > after.getTime()) return at;
    from = wall + 1;
  }
}

/** The last time at or before `at` that the schedule ran (was due); undefined if never. */
export function previousRun(s: CronSchedule, at: Date, zone: CronZone = 'UTC'): Date | undefined {
  // After the autumn change the clock shows earlier times than it already did (01:04 after
  // 01:59): the search starts from the latest wall time shown lately, and wall times that
  // have not happened yet are passed over below.
  const minute = Math.floor(at.getTime() / MINUTE);
  let from = zone === 'UTC' ? minute : minute + Math.max(offsetAt(minute, zone), offsetAt(minute - DAY_MINUTES, zone));
  for (;;) {
    const wall = searchWall(s, from, false);
    if (wall === undefined) return undefined;
    const when = instantOf(wall, zone);
    // A skipped wall time that runs at the end of its gap may still be ahead of `at`.
    if (when.getTime() <= at.getTime()) return when;
    from = wall - 1;
  }
}

/** The zone's name for tooltips and exported files. */
export function zoneLabel(zone: CronZone): string {
  if (zone === 'UTC') return 'UTC';
  if (zone !== 'local') return zone;
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'local time';
}
