import * as assert from 'node:assert/strict';

/**
 * Runs the enclosing describe block in a local time zone with daylight saving (mocha hooks),
 * putting TZ back afterwards. Node re-reads TZ when it is assigned; the check proves it did.
 */
export function inBerlinTime(): void {
  let saved: string | undefined;
  before(() => {
    saved = process.env.TZ;
    process.env.TZ = 'Europe/Berlin';
    assert.equal(new Date('2026-07-01T00:00:00Z').getTimezoneOffset(), -120);
  });
  after(() => {
    if (saved === undefined) delete process.env.TZ;
    else process.env.TZ = saved;
  });
}
