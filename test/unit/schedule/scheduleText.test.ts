import * as assert from 'node:assert/strict';
import { formatRunTime, formatUntil } from '../../../src/core/common';
import { scheduleDescription, scheduleLines, zoneWords } from '../../../src/core/schedule';
import type { KindStatus } from '../../../src/core/schedule';

const now = new Date('2026-11-27T10:00:00Z');
const later = (minutes: number) => new Date(now.getTime() + minutes * 60_000);

function status(over: Partial<KindStatus>): KindStatus {
  return { kind: 'database', cron: '0 2 * * *', zone: 'UTC', running: false, ...over };
}

describe('schedule text for the tree and tooltips', () => {
  it("formats run times in the schedule's own zone and names it, except local time", () => {
    const t = new Date('2026-11-27T02:00:00Z');
    assert.equal(formatRunTime(t, 'UTC'), 'Fri 27 Nov 02:00 UTC');
    assert.equal(formatRunTime(t, 'Asia/Tokyo'), 'Fri 27 Nov 11:00 Asia/Tokyo');
    assert.doesNotMatch(formatRunTime(t, 'local'), /UTC|local/);
    assert.match(formatRunTime(t, 'local'), /^\w{3} \d{1,2} \w{3} \d\d:\d\d$/);
    assert.equal(zoneWords('local'), 'local time');
    assert.equal(zoneWords('Europe/Berlin'), 'Europe/Berlin');
  });

  it('says how far off a run is in minutes, hours or days, and "now" for a past or current time', () => {
    assert.equal(formatUntil(later(-5), now), 'now');
    assert.equal(formatUntil(now, now), 'now');
    assert.equal(formatUntil(later(15), now), 'in 15 min');
    assert.equal(formatUntil(later(59), now), 'in 59 min');
    assert.equal(formatUntil(later(15 * 60), now), 'in 15 h');
    assert.equal(formatUntil(later(47 * 60), now), 'in 47 h');
    assert.equal(formatUntil(later(72 * 60), now), 'in 3 days');
  });

  it('the tree description: running, busy elsewhere, last failure, next run or never', () => {
    assert.equal(scheduleDescription(status({ running: true, elsewhere: 'x' })), 'backing up now');
    assert.equal(scheduleDescription(status({ elsewhere: 'another window holds the lock' })), 'waiting: busy elsewhere');
    assert.equal(scheduleDescription(status({ next: new Date('2026-11-28T02:00:00Z') })), 'next Sat 28 Nov 02:00 UTC');
    assert.equal(scheduleDescription(status({ last: { outcome: 'failed' } })), 'last run failed · next never');
    assert.equal(scheduleDescription(status({ last: { outcome: 'ok' } })), 'next never');
  });

  it('tooltip lines: running, waiting, and each shape of last run', () => {
    assert.deepEqual(scheduleLines(status({ kind: 'volume', zone: 'local' }), now), [
      'Volumes schedule: 0 2 * * * (local time)',
      'Next run: never',
      'Last run: none yet',
    ]);
    assert.deepEqual(scheduleLines(status({ kind: 'config', running: true, next: later(90) }), now), [
      'Config schedule: 0 2 * * * (UTC)',
      'Next run: Fri 27 Nov 11:30 UTC (in 2 h)',
      'Running now.',
      'Last run: none yet',
    ]);
    const lastStart = '2026-11-27T02:00:00Z';
    const waiting = scheduleLines(
      status({ elsewhere: 'pid 7 on host a holds the lock', last: { lastStart, outcome: 'ok', summary: 'sms_backup.sql.gz, 2 MB' } }),
      now,
    );
    assert.deepEqual(waiting.slice(2), [
      'Waiting: pid 7 on host a holds the lock',
      'Last run: Fri 27 Nov 02:00 UTC, ok: sms_backup.sql.gz, 2 MB',
    ]);
    assert.equal(scheduleLines(status({ last: { lastStart, outcome: 'ok' } }), now)[2], 'Last run: Fri 27 Nov 02:00 UTC, ok: ');
    assert.equal(
      scheduleLines(status({ last: { lastStart, outcome: 'failed', problem: 'disk full', summary: 's' } }), now)[2],
      'Last run: Fri 27 Nov 02:00 UTC, FAILED: disk full',
    );
    assert.equal(
      scheduleLines(status({ last: { lastStart, outcome: 'failed', summary: 'half done' } }), now)[2],
      'Last run: Fri 27 Nov 02:00 UTC, FAILED: half done',
    );
    assert.equal(
      scheduleLines(status({ last: { lastStart, outcome: 'failed' } }), now)[2],
      'Last run: Fri 27 Nov 02:00 UTC, FAILED: unknown error',
    );
  });
});
