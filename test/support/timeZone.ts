import * as assert from 'node:assert/strict';

/**
 * Runs the enclosing describe block in a local time zone with daylight saving (mocha hooks),
 * putting TZ back afterwards. Node re-reads TZ when it is assigned; the check proves it did.
 */
export function inBerlinTime(): void {
  inTimeZone('Europe/Berlin');
  before(() => assert.equal(new Date('2026-07-01T00:00:00Z').getTimezoneOffset(), -120));
}

/** The same for any IANA zone; the check is that Node now reads wall times in it. */
export function inTimeZone(zone: string): void {
  let saved: string | undefined;
  before(() => {
    saved = process.env.TZ;
    process.env.TZ = zone;
    const probe = new Date('2026-01-15T12:00:00Z');
    const wall = new Intl.DateTimeFormat('en-US', { timeZone: zone, hour: 'numeric', hourCycle: 'h23' }).format(probe);
    assert.equal(probe.getHours(), Number(wall));
  });
  after(() => {
    if (saved === undefined) delete process.env.TZ;
    else process.env.TZ = saved;
  });
}
