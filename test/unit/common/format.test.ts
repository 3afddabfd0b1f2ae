import * as assert from 'node:assert/strict';
import {
  formatAge,
  formatBytes,
  formatBytesExact,
  formatCount,
  formatCountOf,
  formatDuration,
  formatEstimate,
  formatTime,
  formatUntil,
  formatWhen,
  freshness,
  shortenPaths,
} from '../../../src/core/common';

describe('format', () => {
  it('formatDuration says a span in its coarsest useful unit, tenths under ten seconds, never 0 s', () => {
    assert.equal(formatDuration(0), '0.1 s');
    assert.equal(formatDuration(1_234), '1.2 s');
    assert.equal(formatDuration(9_600), '9.6 s');
    assert.equal(formatDuration(9_960), '10 s');
    assert.equal(formatDuration(59_000), '59 s');
    assert.equal(formatDuration(150_000), '3 min');
    assert.equal(formatDuration(2 * 3_600_000), '2 h');
  });

  const now = new Date('2026-01-30T12:00:00Z');
  const ago = (h: number) => new Date(now.getTime() - h * 3_600_000);

  it('sizes', () => {
    assert.equal(formatBytes(512), '512 B');
    assert.equal(formatBytes(1536), '1.5 KB');
    assert.equal(formatBytes(52 * 1024 * 1024), '52 MB');
    assert.equal(formatBytes(3.25 * 1024 ** 3), '3.3 GB');
  });

  it('formatBytesExact: the rounded size and the grouped byte count, for sizes that are compared', () => {
    assert.equal(formatBytesExact(1), '1 byte');
    assert.equal(formatBytesExact(512), '512 bytes');
    assert.equal(formatBytesExact(123_456_789), '118 MB (123,456,789 bytes)');
    assert.equal(formatBytesExact(123_456_700), '118 MB (123,456,700 bytes)', 'two sizes that round alike still differ');
  });

  it('formatWhen: a short UTC time for the tree, the day in words when near', () => {
    const at = new Date('2026-11-27T17:41:00Z');
    assert.equal(formatWhen(new Date('2026-11-27T17:41:59Z'), at), 'Today 17:41');
    assert.equal(formatWhen(new Date('2026-11-27T00:05:00Z'), at), 'Today 00:05');
    assert.equal(formatWhen(new Date('2026-11-26T23:59:00Z'), at), 'Yesterday 23:59');
    assert.equal(formatWhen(new Date('2026-11-25T02:00:00Z'), at), '25 Nov 02:00');
    assert.equal(formatWhen(new Date('2026-01-01T09:07:00Z'), at), '1 Jan 09:07');
    assert.equal(formatWhen(new Date('2025-12-31T23:00:00Z'), new Date('2026-01-01T01:00:00Z')), 'Yesterday 23:00', 'across a year end');
    assert.equal(formatWhen(new Date('2025-11-27T17:41:00Z'), at), '27 Nov 2025 17:41');
    assert.equal(formatWhen(new Date('2026-11-27T17:41:05Z'), at, true), 'Today 17:41:05', 'seconds when asked');
    assert.equal(formatWhen(new Date('2026-11-20T02:00:00Z'), at, true), '20 Nov 02:00:00');
  });

  it('ages', () => {
    assert.equal(formatAge(ago(0), now), 'just now');
    assert.equal(formatAge(ago(0.5), now), '30 min ago');
    assert.equal(formatAge(ago(5), now), '5 h ago');
    assert.equal(formatAge(ago(72), now), '3 days ago');
    assert.equal(formatAge(ago(59 / 3600), now), 'just now', 'under a minute, in the status bar as in the tree');
  });

  it('counts are grouped the same way whatever the locale', () => {
    assert.equal(formatCount(26242), '26,242');
    assert.equal(formatCount(999), '999');
    assert.equal(formatCount(1_234_567), '1,234,567');
    assert.equal(formatCountOf(1, 'backup'), '1 backup');
    assert.equal(formatCountOf(26242, 'row'), '26,242 rows');
    assert.equal(formatCountOf(0, 'copy', 'copies'), '0 copies');
  });

  it('times read "2026-11-27 19:46 UTC", from a Date or stored ISO text', () => {
    assert.equal(formatTime(new Date('2026-11-27T19:46:31.123Z')), '2026-11-27 19:46 UTC');
    assert.equal(formatTime('2026-11-27T19:46:31.123Z', true), '2026-11-27 19:46:31 UTC');
    assert.equal(formatTime('not a time'), 'not a time', 'text that is no time is shown as it is, not as "Invalid Date"');
  });

  it('formatUntil speaks in the units of formatAge', () => {
    assert.equal(formatUntil(new Date(now.getTime() + 20_000), now), 'now');
    assert.equal(formatUntil(new Date(now.getTime() + 15 * 60_000), now), 'in 15 min');
    assert.equal(formatUntil(new Date(now.getTime() + 15 * 3_600_000), now), 'in 15 h');
    assert.equal(formatUntil(new Date(now.getTime() + 72 * 3_600_000), now), 'in 3 days');
  });

  it("freshness follows the runbook's 24 hours", () => {
    assert.equal(freshness(undefined, 24, now), 'none');
    assert.equal(freshness(ago(23.9), 24, now), 'fresh');
    assert.equal(freshness(ago(24.1), 24, now), 'stale');
    assert.equal(freshness(ago(49), 24, now), 'old');
  });

  it('shortenPaths: relative to the workspace in a notification, "~/" outside it', () => {
    const text = 'No backups in /home/dev/sms/backups/database; the key /home/dev/keys/age.txt; /etc/passwd';
    assert.equal(shortenPaths(text, '/home/dev/sms', '/home/dev'), 'No backups in backups/database; the key ~/keys/age.txt; /etc/passwd');
    assert.equal(
      shortenPaths('/home/dev/smsx/a', '/home/dev/sms/', undefined),
      '/home/dev/smsx/a',
      'a folder whose name only starts the same is not inside',
    );
    assert.equal(shortenPaths('/a/b', '/', '/'), '/a/b', 'the root folder shortens nothing');
  });
});

describe('formatEstimate', () => {
  it('says whole seconds, at least one, and minutes past a minute', () => {
    assert.equal(formatEstimate(3_900), '4 s');
    assert.equal(formatEstimate(200), '1 s');
    assert.equal(formatEstimate(59_000), '59 s');
    assert.equal(formatEstimate(150_000), '3 min');
  });
});
