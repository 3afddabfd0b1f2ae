import * as assert from 'node:assert/strict';
import { CronSchedule, nextRun, parseCron, previousRun, LifeboatError } from '../../../src/core/common';
import { inBerlinTime, inTimeZone } from '../../support/timeZone';

const utc = (s: string) => new Date(`${s}Z`);
const iso = (d: Date | undefined) => d?.toISOString().replace(':00.000Z', 'Z');

/** The next `count` runs after `from`. */
function runs(s: CronSchedule, from: Date, count: number, zone: 'UTC' | 'local' = 'UTC'): string[] {
  const out: string[] = [];
  let t = from;
  for (let i = 0; i < count; i++) {
    t = nextRun(s, t, zone)!;
    out.push(iso(t)!);
  }
  return out;
}

/** The first 29 February on the weekday at or after `fromYear`, counted the slow way. */
function bruteForceFeb29(weekday: string, fromYear: number): Date | undefined {
  const wanted = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'].indexOf(weekday);
  for (let y = fromYear; y < fromYear + 400; y++) {
    const d = new Date(Date.UTC(y, 1, 29));
    if (d.getUTCMonth() === 1 && d.getUTCDay() === wanted) return d;
  }
  return undefined;
}

describe('cron expressions', () => {
  describe('parseCron', () => {
    it('reads numbers, ranges, steps, lists and stars', () => {
      const s = parseCron('*/15 1-3,22 1,15 */3 *');
      assert.deepEqual([...s.minutes], [0, 15, 30, 45]);
      assert.deepEqual([...s.hours], [1, 2, 3, 22]);
      assert.deepEqual([...s.daysOfMonth], [1, 15]);
      assert.deepEqual([...s.months], [1, 4, 7, 10]);
      assert.equal(s.daysOfWeek.size, 7);
      assert.equal(s.dayOr, false);
      assert.deepEqual([...parseCron('10-50/20 5/6 * * *').minutes], [10, 30, 50]);
      assert.deepEqual([...parseCron('10-50/20 5/6 * * *').hours], [5, 11, 17, 23]);
    });

    it('reads month and day names in any case, and 7 as Sunday', () => {
      const s = parseCron('0 3 * jan-Mar,DEC sun,Wed-FRI');
      assert.deepEqual([...s.months], [1, 2, 3, 12]);
      assert.deepEqual([...s.daysOfWeek].sort(), [0, 3, 4, 5]);
      assert.deepEqual([...parseCron('0 0 * * 7').daysOfWeek], [0]);
      assert.deepEqual([...parseCron('0 0 * * 5-7').daysOfWeek].sort(), [0, 5, 6]);
    });

    it('knows the macros', () => {
      assert.deepEqual([...parseCron('@daily').hours], [0]);
      assert.deepEqual([...parseCron('@weekly').daysOfWeek], [0]);
      assert.equal(parseCron('  @Monthly ').source, '@Monthly');
    });

    it('refuses bad expressions with an error naming the expression and the setting', () => {
      const bad = [
        '',
        '* * * *',
        '* * * * * *',
        '60 * * * *',
        '* 24 * * *',
        '* * 0 * *',
        '* * 32 * *',
        '* * * 13 *',
        '* * * * 8',
        '*/0 * * * *',
        '5-1 * * * *',
        'a * * * *',
        '* * * foo *',
        '1,,2 * * * *',
        '1/2/3 * * * *',
        '@reboot',
        '0 0 30 2 *',
        '1-2-3 * * * *',
        '-1 * * * *',
        '/5 * * * *',
        '5- * * * *',
        '* -3 * * *',
      ];
      for (const expr of bad) {
        assert.throws(
          () => parseCron(expr, 'lifeboat.schedule.database'),
          (err: Error) => {
            assert.doesNotMatch(err.message, /"" is not/, expr);
            assert.ok(err instanceof LifeboatError, expr);
            assert.ok(err.message.includes(`"${expr.trim()}"`), err.message);
            assert.match(err.message, /lifeboat\.schedule\.database/);
            assert.ok(err.hint);
            return true;
          },
          expr,
        );
      }
    });
  });

  describe('nextRun and previousRun in UTC', () => {
    it('follows the runbook schedules', () => {
      const from = utc('2026-11-26T10:49:00');
      assert.deepEqual(runs(parseCron('0 2 * * *'), from, 2), ['2026-11-27T02:00Z', '2026-11-28T02:00Z']);
      assert.deepEqual(runs(parseCron('0 1 1 * *'), from, 3), ['2026-12-01T01:00Z', '2027-01-01T01:00Z', '2027-02-01T01:00Z']);
      // 2026-11-29 is a Sunday.
      assert.deepEqual(runs(parseCron('0 3 * * 0'), from, 2), ['2026-11-29T03:00Z', '2026-12-06T03:00Z']);
    });

    it('is strictly after and at-or-before', () => {
      const s = parseCron('0 2 * * *');
      assert.equal(iso(nextRun(s, utc('2026-11-26T02:00:00'))), '2026-11-27T02:00Z');
      assert.equal(iso(nextRun(s, utc('2026-11-26T01:59:59'))), '2026-11-26T02:00Z');
      assert.equal(iso(previousRun(s, utc('2026-11-26T02:00:00'))), '2026-11-26T02:00Z');
      assert.equal(iso(previousRun(s, utc('2026-11-26T02:00:59'))), '2026-11-26T02:00Z');
      assert.equal(iso(previousRun(s, utc('2026-11-26T01:59:59'))), '2026-11-25T02:00Z');
    });

    it('ORs the day fields when both are restricted (Vixie), ANDs them otherwise', () => {
      // The 13th, and every Friday; 2026-11-13 is itself a Friday.
      const either = parseCron('0 0 13 * fri');
      assert.equal(either.dayOr, true);
      assert.deepEqual(runs(either, utc('2026-11-01T00:00:00'), 4), [
        '2026-11-06T00:00Z',
        '2026-11-13T00:00Z',
        '2026-11-20T00:00Z',
        '2026-11-27T00:00Z',
      ]);
      assert.deepEqual(runs(either, utc('2026-11-28T00:00:00'), 3), ['2026-12-04T00:00Z', '2026-12-11T00:00Z', '2026-12-13T00:00Z']);
      // A star (even stepped, as in Vixie cron) makes the other field the only day rule.
      assert.deepEqual(runs(parseCron('0 0 * * fri'), utc('2026-11-01T00:00:00'), 2), ['2026-11-06T00:00Z', '2026-11-13T00:00Z']);
      assert.equal(parseCron('0 0 */2 * fri').dayOr, false);
      assert.deepEqual(runs(parseCron('0 0 */2 * fri'), utc('2026-11-01T00:00:00'), 2), ['2026-11-13T00:00Z', '2026-11-27T00:00Z']);
    });

    it('finds rare dates: 29 February, and the 31st only in long months', () => {
      assert.equal(iso(nextRun(parseCron('0 0 29 2 *'), utc('2026-03-01T00:00:00'))), '2028-02-29T00:00Z');
      assert.equal(iso(previousRun(parseCron('0 0 29 2 *'), utc('2026-03-01T00:00:00'))), '2024-02-29T00:00Z');
      assert.deepEqual(runs(parseCron('30 23 31 * *'), utc('2026-01-31T23:30:00'), 3), [
        '2026-03-31T23:30Z',
        '2026-05-31T23:30Z',
        '2026-07-31T23:30Z',
      ]);
      // 2100 is no leap year.
      assert.equal(iso(nextRun(parseCron('0 0 29 2 *'), utc('2096-03-01T00:00:00'))), '2104-02-29T00:00Z');
      // A stepped star in the day of month ANDs with the weekday: 1 February on a Monday.
      assert.equal(iso(nextRun(parseCron('0 0 */29 2 mon'), utc('2026-01-01T00:00:00'))), '2027-02-01T00:00Z');
    });

    it('says what is wrong with a negative number or a step with nothing to step over', () => {
      assert.throws(() => parseCron('-1 * * * *'), /"-1" in the minute field: numbers cannot be negative \(0–59\)/);
      assert.throws(() => parseCron('/5 * * * *'), /"\/5" in the minute field has a step but nothing to step over: write "\*\/5"/);
      assert.throws(() => parseCron('0 5- * * *'), /the range "5-" in the hour field has no end/);
    });

    it('searches far enough to cross 2100, which is no leap year', () => {
      // 29 February on a Sunday: 2088, then not until 2128, 40 years on (2100 has no 29 February).
      const s = parseCron('0 0 29 2 */7');
      assert.equal(iso(nextRun(s, utc('2089-03-01T00:00:00'))), '2128-02-29T00:00Z');
      assert.equal(iso(bruteForceFeb29('sun', 2089)), '2128-02-29T00:00Z');
      assert.equal(iso(previousRun(s, utc('2128-02-28T00:00:00'))), '2088-02-29T00:00Z');
    });

    it('runs every minute with * * * * *', () => {
      assert.deepEqual(runs(parseCron('* * * * *'), utc('2026-12-31T23:58:30'), 3), [
        '2026-12-31T23:59Z',
        '2027-01-01T00:00Z',
        '2027-01-01T00:01Z',
      ]);
      assert.equal(iso(previousRun(parseCron('* * * * *'), utc('2026-12-31T23:58:30'))), '2026-12-31T23:58Z');
    });

    it('answers quickly even for sparse schedules', () => {
      const started = Date.now();
      for (let i = 0; i < 200; i++) nextRun(parseCron('0 0 29 2 *'), utc('2096-03-01T00:00:00'));
      assert.ok(Date.now() - started < 2000, `${Date.now() - started} ms`);
    });
  });

  describe('local time with daylight saving (Europe/Berlin)', () => {
    inBerlinTime();

    it('reads wall times in the local zone', () => {
      // 02:00 in Berlin is 01:00 UTC in winter and 00:00 UTC in summer.
      assert.equal(iso(nextRun(parseCron('0 2 * * *'), utc('2026-11-26T12:00:00'), 'local')), '2026-11-27T01:00Z');
      assert.equal(iso(nextRun(parseCron('0 2 * * *'), utc('2026-07-01T12:00:00'), 'local')), '2026-07-02T00:00Z');
    });

    it('runs a 02:30 job once on the spring-forward day, at 03:00 when the skipped hour ends', () => {
      // 2026-03-29: 02:00 CET becomes 03:00 CEST (01:00 UTC); 02:30 does not exist that day.
      const s = parseCron('30 2 * * *');
      const got = runs(s, utc('2026-03-27T12:00:00'), 4, 'local');
      assert.deepEqual(got, ['2026-03-28T01:30Z', '2026-03-29T01:00Z', '2026-03-30T00:30Z', '2026-03-31T00:30Z']);
      assert.equal(new Date('2026-03-29T01:00Z').getHours(), 3);
      // previousRun agrees, whatever the moment asked about.
      assert.equal(iso(previousRun(s, utc('2026-03-29T01:00:00'), 'local')), '2026-03-29T01:00Z');
      assert.equal(iso(previousRun(s, utc('2026-03-29T00:59:00'), 'local')), '2026-03-28T01:30Z');
      assert.equal(iso(previousRun(s, utc('2026-03-29T09:00:00'), 'local')), '2026-03-29T01:00Z');
      // A job at 03:00 that day is unaffected, and the same instant: both run at 03:00 CEST.
      assert.equal(iso(nextRun(parseCron('0 3 * * *'), utc('2026-03-28T12:00:00'), 'local')), '2026-03-29T01:00Z');
    });

    it('runs a 02:30 job once on the fall-back day, not in the repeated hour', () => {
      // 2026-10-25: 03:00 CEST becomes 02:00 CET (01:00 UTC); 02:30 happens at 00:30 and 01:30 UTC.
      const s = parseCron('30 2 * * *');
      const got = runs(s, utc('2026-10-23T12:00:00'), 4, 'local');
      assert.deepEqual(got, ['2026-10-24T00:30Z', '2026-10-25T00:30Z', '2026-10-26T01:30Z', '2026-10-27T01:30Z']);
      // Asked from inside the repeated hour, after the first 02:30: tomorrow, not 01:30 UTC.
      assert.equal(iso(nextRun(s, utc('2026-10-25T01:10:00'), 'local')), '2026-10-26T01:30Z');
      assert.equal(iso(nextRun(s, utc('2026-10-25T00:45:00'), 'local')), '2026-10-26T01:30Z');
      assert.equal(iso(previousRun(s, utc('2026-10-25T01:45:00'), 'local')), '2026-10-25T00:30Z');
      // Inside the second pass, before its 02:30: today's run was the first pass's, not yesterday's.
      assert.equal(iso(previousRun(s, utc('2026-10-25T01:10:00'), 'local')), '2026-10-25T00:30Z');
    });

    it('keeps an hourly job going across both changes, once per wall time', () => {
      const hourly = parseCron('0 * * * *');
      const spring = runs(hourly, utc('2026-03-28T23:30:00'), 4, 'local');
      // 01:00 CET, then 03:00 CEST (02:00 never happens), 04:00 CEST.
      assert.deepEqual(spring, ['2026-03-29T00:00Z', '2026-03-29T01:00Z', '2026-03-29T02:00Z', '2026-03-29T03:00Z']);
      const autumn = runs(hourly, utc('2026-10-24T23:30:00'), 4, 'local');
      assert.equal(new Set(autumn).size, 4);
      assert.deepEqual(autumn.slice(0, 2), ['2026-10-25T00:00Z', '2026-10-25T02:00Z']);
    });
  });

  describe('the repeated autumn hour (America/New_York)', () => {
    inTimeZone('America/New_York');

    it('previousRun in the second pass finds the run of the first pass, not the day before', () => {
      // 2025-11-02: 02:00 EDT becomes 01:00 EST at 06:00 UTC; 01:59 EDT was 05:59 UTC.
      const s = parseCron('59 1 * * *');
      assert.equal(iso(previousRun(s, new Date('2025-11-02T06:04:13Z'), 'local')), '2025-11-02T05:59Z');
      assert.equal(iso(previousRun(s, new Date('2025-11-02T06:59:30Z'), 'local')), '2025-11-02T05:59Z');
      assert.equal(iso(previousRun(s, new Date('2025-11-02T05:58:00Z'), 'local')), '2025-11-01T05:59Z');
      assert.equal(iso(nextRun(s, new Date('2025-11-02T06:04:13Z'), 'local')), '2025-11-03T06:59Z');
    });
  });
});
