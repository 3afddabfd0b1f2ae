import * as assert from 'node:assert/strict';
import { formatAge, formatBytes, formatDuration, formatShortAge, formatWhen, freshness } from '../../src/core/format';

describe('format', () => {
  it('formatDuration says a span in its coarsest useful unit, never 0 s', () => {
    assert.equal(formatDuration(0), '1 s');
    assert.equal(formatDuration(9_600), '10 s');
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
    assert.equal(formatShortAge(ago(30), now), '30h');
    assert.equal(formatShortAge(ago(0.1), now), '6m');
  });

  it('freshness follows the runbook\'s 24 hours', () => {
    assert.equal(freshness(undefined, 24, now), 'none');
    assert.equal(freshness(ago(23.9), 24, now), 'fresh');
    assert.equal(freshness(ago(24.1), 24, now), 'stale');
    assert.equal(freshness(ago(49), 24, now), 'old');
  });
});
