import * as assert from 'node:assert/strict';
import { CronSchedule, nextRun, parseCron, previousRun } from '../../src/core/cron';

/**
 * nextRun and previousRun against a reference that walks the clock one minute at a time, on
 * random schedules and random moments around every daylight saving change of 2025–2026 in
 * zones with 1 h, 30 min and no shifts. fast-check is not a dependency, so this is a seeded
 * loop: a failure names its seed, and LIFEBOAT_CRON_SEED=<seed> replays it.
 */
const ZONES = ['America/New_York', 'Europe/Berlin', 'Australia/Lord_Howe', 'Asia/Kolkata'];
const MINUTE = 60_000;
const WINDOW = 30 * 60; // minutes: every generated schedule runs at least this often

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The zone's wall clock at minute `m`, as minutes on a zone-free calendar. */
const formats = new Map<string, Intl.DateTimeFormat>();
function referenceWall(m: number, zone: string): number {
  let format = formats.get(zone);
  if (!format) formats.set(zone, (format = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' })));
  const parts = format.formatToParts(new Date(m * MINUTE));
  const get = (type: string) => Number(parts.find((p) => p.type === type)!.value);
  return Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute')) / MINUTE;
}

function matches(s: CronSchedule, wall: number): boolean {
  const t = new Date(wall * MINUTE);
  const dom = s.daysOfMonth.has(t.getUTCDate());
  const dow = s.daysOfWeek.has(t.getUTCDay());
  return s.months.has(t.getUTCMonth() + 1) && (s.dayOr ? dom || dow : dom && dow) && s.hours.has(t.getUTCHours()) && s.minutes.has(t.getUTCMinutes());
}

/**
 * Run minutes in [from, to]: a minute runs when the clock shows a matching time it has never
 * shown before, or when it has just jumped over one (the end of a spring gap). A time shown
 * again after the autumn change does not run twice.
 */
function referenceRuns(s: CronSchedule, zone: string, from: number, to: number, walls: Map<number, number>): number[] {
  const wall = (m: number) => {
    let w = walls.get(m);
    if (w === undefined) walls.set(m, (w = referenceWall(m, zone)));
    return w;
  };
  const out: number[] = [];
  // Start well before `from` so the latest time shown is known through a repeated hour.
  let latest = wall(from - 4 * 60);
  for (let m = from - 4 * 60 + 1; m <= to; m++) {
    const w = wall(m);
    if (w <= latest) continue;
    let runs = false;
    for (let x = latest + 1; x <= w && !runs; x++) runs = matches(s, x);
    latest = w;
    if (runs && m >= from) out.push(m);
  }
  return out;
}

/** Instants (minutes) where the zone's offset changes, found hour by hour, then to the minute. */
function transitions(zone: string): number[] {
  const out: number[] = [];
  const start = Date.UTC(2025, 0, 1) / MINUTE;
  const offset = (m: number) => referenceWall(m, zone) - m;
  for (let m = start; m < start + 2 * 366 * 24 * 60; m += 60) {
    if (offset(m) === offset(m + 60)) continue;
    let lo = m;
    let hi = m + 60;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (offset(mid) === offset(lo)) lo = mid;
      else hi = mid;
    }
    out.push(hi);
  }
  return out;
}

function randomSchedule(rand: () => number): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  const distinct = (n: number, max: number) => [...new Set(Array.from({ length: n }, () => Math.floor(rand() * max)))].sort((a, b) => a - b);
  const minute = pick(['*', '*/15', '0', '30', '59', distinct(1 + Math.floor(rand() * 3), 60).join(','), `${Math.floor(rand() * 20)}-${40 + Math.floor(rand() * 20)}/7`]);
  // Hours around the changes (00:00–03:59 local), and ones that keep the schedule dense.
  const hour = pick(['*', '*/2', '*/3', '0-3', '1,2', '2', '1', '0,1,2,3,4,8,12,16,20', `${distinct(3, 4).join(',')},${distinct(3, 24).join(',')}`]);
  return `${minute} ${hour === '2' || hour === '1' || hour === '1,2' ? `${hour},5,9,13,17,21` : hour} * * *`;
}

/** Random schedules at random moments near each offset change of `zone`; returns how many it checked. */
function checkZone(zone: string, rand: () => number, seed: number): number {
  let cases = 0;
  const walls = new Map<number, number>();
  const changes = transitions(zone);
  // Kolkata has none: random moments of the two years stand in.
  const anchors = changes.length ? changes : Array.from({ length: 4 }, () => Date.UTC(2025, 0, 1) / MINUTE + Math.floor(rand() * 700 * 24 * 60));
  for (const anchor of anchors) {
    for (let i = 0; i < 10; i++) {
      const expr = randomSchedule(rand);
      const s = parseCron(expr);
      const atMs = (anchor + Math.floor((rand() - 0.5) * 6 * 60)) * MINUTE + Math.floor(rand() * MINUTE);
      const at = Math.floor(atMs / MINUTE);
      const runs = referenceRuns(s, zone, at - WINDOW, at + WINDOW + 1, walls);
      // Half the cases name the zone, half read it as this computer's own ('local', TZ set).
      const as = i % 2 ? 'local' : zone;
      const label = `${expr} in ${zone}${as === 'local' ? ' as local time' : ''} at ${new Date(atMs).toISOString()} (seed ${seed})`;
      const wantNext = runs.find((m) => m * MINUTE > atMs);
      const wantPrevious = runs.filter((m) => m * MINUTE <= atMs).at(-1);
      assert.ok(wantNext !== undefined && wantPrevious !== undefined, `the generator made a sparse schedule: ${label}`);
      assert.equal(nextRun(s, new Date(atMs), as)?.toISOString(), new Date(wantNext * MINUTE).toISOString(), `nextRun: ${label}`);
      assert.equal(previousRun(s, new Date(atMs), as)?.toISOString(), new Date(wantPrevious * MINUTE).toISOString(), `previousRun: ${label}`);
      cases++;
    }
  }
  return cases;
}

describe('cron nextRun and previousRun against a minute-by-minute reference', () => {
  const seed = Number(process.env.LIFEBOAT_CRON_SEED) || Math.floor(Math.random() * 2 ** 31);
  let savedTz: string | undefined;
  before(() => {
    savedTz = process.env.TZ;
  });
  after(() => {
    if (savedTz === undefined) delete process.env.TZ;
    else process.env.TZ = savedTz;
  });

  it(`agrees across daylight saving changes in ${ZONES.join(', ')} (seed ${seed})`, function () {
    this.timeout(20_000);
    const started = Date.now();
    const rand = prng(seed);
    let cases = 0;
    for (const zone of ZONES) {
      process.env.TZ = zone;
      cases += checkZone(zone, rand, seed);
    }
    assert.ok(cases >= 100, `${cases} cases`);
    assert.ok(Date.now() - started < 15_000, `${Date.now() - started} ms`);
  });
});
