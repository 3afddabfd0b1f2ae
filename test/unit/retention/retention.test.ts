import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import type { BackupEntry } from '../../../src/core/store';
import {
  assertPlanKeepsEnough,
  RUNBOOK_RETENTION,
  RetentionPolicies,
  RetentionPolicy,
  planRetention,
  weekKey,
  describePolicy,
} from '../../../src/core/retention';
import { replay } from '../../support/fcRandom';

const now = new Date('2026-11-26T12:00:00Z');
const DAY = 86_400_000;

function entry(
  kind: BackupEntry['kind'],
  daysAgo: number,
  state: BackupEntry['state'] = 'unverified',
  subject = kind === 'database' ? 'sms' : undefined,
): BackupEntry {
  const createdAt = new Date(now.getTime() - daysAgo * DAY);
  const fileName = `${kind}_${subject ?? ''}_${daysAgo}`;
  return { path: `/b/${fileName}`, fileName, kind, subject, createdAt, bytes: 1000, mtime: now, state };
}

const only = (kind: BackupEntry['kind'], policy: RetentionPolicy): RetentionPolicies => ({
  database: {},
  config: {},
  volume: {},
  [kind]: policy,
});
const names = (xs: BackupEntry[]) => xs.map((e) => e.fileName).sort();

describe('planRetention', () => {
  it("keeps the runbook's 30 days of daily database backups and removes the older ones, saying why", () => {
    const entries = Array.from({ length: 60 }, (_, i) => entry('database', i + 0.5, i === 0 ? 'verified' : 'unverified'));
    const plan = planRetention(entries, RUNBOOK_RETENTION, now);
    assert.equal(plan.keep.length, 30);
    assert.equal(plan.remove.length, 30);
    assert.ok(plan.remove.every((e) => now.getTime() - e.createdAt.getTime() > 30 * DAY));
    const gone = plan.series[0].decisions.find((d) => !d.keep);
    assert.match(gone!.reasons.join(), /older than 30 days \(\d+ days\)/);
    const kept = plan.series[0].decisions[0];
    assert.ok(kept.reasons.some((r) => /newest verified/.test(r)));
  });

  it('backups that silently stopped 40 days ago: the newest and the newest verified stay (not find -mtime +30 -delete)', () => {
    const entries = [entry('database', 40), entry('database', 41, 'verified'), entry('database', 42), entry('database', 43, 'verified')];
    const plan = planRetention(entries, RUNBOOK_RETENTION, now);
    assert.deepEqual(names(plan.keep), names([entries[0], entries[1]]));
    assert.deepEqual(names(plan.remove), names([entries[2], entries[3]]));
  });

  it('keeps the newest backup even when none is verified', () => {
    const plan = planRetention([entry('volume', 100), entry('volume', 200)], RUNBOOK_RETENTION, now);
    assert.equal(plan.keep.length, 1);
    assert.equal(plan.keep[0].fileName, 'volume__100');
  });

  it('judges each volume and each database prefix on its own', () => {
    const entries = [
      entry('volume', 50, 'verified', 'a'),
      entry('volume', 60, 'verified', 'a'),
      entry('volume', 70, 'verified', 'b'),
      entry('database', 90, 'verified', 'other'),
    ];
    const plan = planRetention(entries, RUNBOOK_RETENTION, now);
    assert.deepEqual(names(plan.keep), names([entries[0], entries[2], entries[3]]));
  });

  it("keep-last skips failed backups: a broken file never takes a good one's place", () => {
    const entries = [
      entry('database', 1, 'failed'),
      entry('database', 2, 'failed'),
      entry('database', 3, 'verified'),
      entry('database', 4),
      entry('database', 5),
    ];
    const plan = planRetention(entries, only('database', { keepLast: 2 }), now);
    // The newest is kept as the newest (even failed); keep-last 2 counts the good ones.
    assert.deepEqual(names(plan.keep), names([entries[0], entries[2], entries[3]]));
    const failedGone = plan.series[0].decisions.find((d) => d.entry === entries[1]);
    assert.match(failedGone!.reasons.join(), /failed verification/);
  });

  it('daily, weekly and monthly buckets keep the newest of each (UTC)', () => {
    // Two a day for 70 days, at 01:00 and 11:00 UTC (now is 12:00).
    const entries: BackupEntry[] = [];
    for (let d = 0; d < 70; d++)
      for (const hoursBeforeNoon of [1, 11]) entries.push(entry('database', d + hoursBeforeNoon / 24, 'verified'));
    const plan = planRetention(entries, only('database', { keepDaily: 7, keepWeekly: 4, keepMonthly: 3 }), now);
    const days = plan.keep.map((e) => e.createdAt.toISOString().slice(0, 10));
    assert.equal(new Set(days).size, days.length, 'two kept on one day');
    assert.ok(
      plan.keep.every((e) => e.createdAt.getUTCHours() === 11),
      'the older of a day was kept',
    );
    assert.ok(days.length >= 7 && days.length <= 7 + 4 + 3, `kept ${days.join(' ')}`);
    const reasons = plan.series[0].decisions.flatMap((d) => d.reasons);
    assert.equal(reasons.filter((r) => r.startsWith('daily')).length, 7);
    assert.equal(new Set(reasons.filter((r) => /^weekly \d{4}-W\d{2}$/.test(r))).size, 4);
    assert.equal(new Set(reasons.filter((r) => /^monthly \d{4}-\d{2}$/.test(r))).size, 3);
    // The oldest month kept is two months back; nothing older than ~3 months stays.
    assert.ok(plan.keep.every((e) => now.getTime() - e.createdAt.getTime() < 70 * DAY));
  });

  it('a backup dated in the future (a clock set back) is kept', () => {
    const entries = [entry('config', -3), entry('config', 400, 'verified'), entry('config', 500)];
    const plan = planRetention(entries, RUNBOOK_RETENTION, now);
    assert.deepEqual(names(plan.remove), names([entries[2]]));
    assert.ok(plan.series[0].decisions[0].reasons.includes('dated in the future'));
  });

  it('no rule keeps everything', () => {
    const entries = Array.from({ length: 10 }, (_, i) => entry('config', i * 100));
    assert.equal(planRetention(entries, { database: {}, config: {}, volume: {} }, now).remove.length, 0);
  });

  it('ISO weeks: 2026-01-01 is in 2026-W01, 2027-01-01 in 2026-W53', () => {
    assert.equal(weekKey(new Date('2026-01-01T00:00:00Z')), '2026-W01');
    assert.equal(weekKey(new Date('2027-01-01T00:00:00Z')), '2026-W53');
    assert.equal(weekKey(new Date('2026-11-26T00:00:00Z')), '2026-W48');
  });
});

const KINDS: BackupEntry['kind'][] = ['database', 'config', 'volume'];
const STATES: BackupEntry['state'][] = ['verified', 'unverified', 'failed'];
/** A rule that is set or not (undefined), as in a user's settings. */
const rule = (max: number) => fc.option(fc.nat({ max: max - 1 }), { nil: undefined });
const policyArb: fc.Arbitrary<RetentionPolicy> = fc.record({
  maxAgeDays: rule(60),
  keepLast: rule(5),
  keepDaily: rule(10),
  keepWeekly: rule(6),
  keepMonthly: rule(4),
});
/** A folder of up to 24 backups, some a few days in the future (a clock set wrong), up to 395 days old. */
const folderArb = fc
  .array(
    fc.record({
      kind: fc.constantFrom(...KINDS),
      daysAgo: fc.double({ min: -5, max: 395, noNaN: true }),
      state: fc.constantFrom(...STATES),
      subject: fc.constantFrom('a', 'b', undefined),
    }),
    { maxLength: 24 },
  )
  .map((xs) =>
    xs.map((x, i) => {
      const e = entry(x.kind, x.daysAgo, x.state, x.subject);
      return { ...e, fileName: `${e.fileName}_${i}`, path: `${e.path}_${i}` };
    }),
  );

describe('retention properties (2,000 folders and rule sets, fast-check)', () => {
  // fast-check prints the seed and path of a failure; FC_SEED=<seed> FC_PATH=<path> replays it.
  it('never deletes every backup of a series, nor its newest verified one, nor anything when no rule is set', () => {
    fc.assert(
      fc.property(
        folderArb,
        fc.record({ database: policyArb, config: policyArb, volume: policyArb }),
        (entries, policies: RetentionPolicies) => {
          const plan = planRetention(entries, policies, now);
          assert.equal(plan.keep.length + plan.remove.length, entries.length);
          assertPlanKeepsEnough(plan);
          for (const s of plan.series) {
            const of = s.decisions.map((d) => d.entry);
            assert.ok(
              s.decisions.some((d) => d.keep),
              'a series lost everything',
            );
            const newestVerified = of
              .filter((e) => e.state === 'verified')
              .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())[0];
            if (newestVerified) assert.ok(plan.keep.includes(newestVerified), 'newest verified removed');
            const newest = [...of].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())[0];
            assert.ok(plan.keep.includes(newest), 'newest removed');
            const p = s.policy;
            if ([p.maxAgeDays, p.keepLast, p.keepDaily, p.keepWeekly, p.keepMonthly].every((v) => v === undefined)) {
              assert.ok(
                s.decisions.every((d) => d.keep),
                'removed with no rule',
              );
            }
            for (const d of s.decisions) assert.ok(d.reasons.length > 0, 'a decision without a reason');
          }
        },
      ),
      { numRuns: 2000, ...replay },
    );
  });

  it('the guard refuses a plan that would delete the newest verified backup (a rule bug caught before deleting)', () => {
    const entries = [entry('database', 1, 'verified'), entry('database', 2)];
    const plan = planRetention(entries, RUNBOOK_RETENTION, now);
    plan.series[0].decisions[0].keep = false;
    assert.throws(() => assertPlanKeepsEnough(plan), /newest verified database \(sms\) backup/);
    plan.series[0].decisions[1].keep = false;
    assert.throws(() => assertPlanKeepsEnough(plan), /every database \(sms\) backup/);
  });

  it('describes each policy in words, in the order of its rules', () => {
    assert.equal(describePolicy({}), 'keep everything (no rule set)');
    assert.equal(
      describePolicy({ maxAgeDays: 30, keepLast: 3, keepDaily: 7, keepWeekly: 4, keepMonthly: 6 }),
      '30 days, last 3, 7 daily, 4 weekly, 6 monthly',
    );
    assert.equal(describePolicy({ keepWeekly: 2 }), '2 weekly');
  });
});
