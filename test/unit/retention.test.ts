import * as assert from 'node:assert/strict';
import type { BackupEntry } from '../../src/core/catalog';
import { assertPlanKeepsEnough } from '../../src/core/prune';
import { RUNBOOK_RETENTION, RetentionPolicies, RetentionPolicy, planRetention, weekKey } from '../../src/core/retention';

const now = new Date('2026-11-26T12:00:00Z');
const DAY = 86_400_000;

function entry(kind: BackupEntry['kind'], daysAgo: number, state: BackupEntry['state'] = 'unverified', subject = kind === 'database' ? 'sms' : undefined): BackupEntry {
  const createdAt = new Date(now.getTime() - daysAgo * DAY);
  const fileName = `${kind}_${subject ?? ''}_${daysAgo}`;
  return { path: `/b/${fileName}`, fileName, kind, subject, createdAt, bytes: 1000, mtime: now, state };
}

const only = (kind: BackupEntry['kind'], policy: RetentionPolicy): RetentionPolicies => ({ database: {}, config: {}, volume: {}, [kind]: policy });
const names = (xs: BackupEntry[]) => xs.map((e) => e.fileName).sort();

describe('planRetention', () => {
  it('keeps the runbook\'s 30 days of daily database backups and removes the older ones, saying why', () => {
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
    const entries = [entry('volume', 50, 'verified', 'a'), entry('volume', 60, 'verified', 'a'), entry('volume', 70, 'verified', 'b'), entry('database', 90, 'verified', 'other')];
    const plan = planRetention(entries, RUNBOOK_RETENTION, now);
    assert.deepEqual(names(plan.keep), names([entries[0], entries[2], entries[3]]));
  });

  it('keep-last skips failed backups: a broken file never takes a good one\'s place', () => {
    const entries = [entry('database', 1, 'failed'), entry('database', 2, 'failed'), entry('database', 3, 'verified'), entry('database', 4), entry('database', 5)];
    const plan = planRetention(entries, only('database', { keepLast: 2 }), now);
    // The newest is kept as the newest (even failed); keep-last 2 counts the good ones.
    assert.deepEqual(names(plan.keep), names([entries[0], entries[2], entries[3]]));
    const failedGone = plan.series[0].decisions.find((d) => d.entry === entries[1]);
    assert.match(failedGone!.reasons.join(), /failed verification/);
  });

  it('daily, weekly and monthly buckets keep the newest of each (UTC)', () => {
    // Two a day for 70 days, at 01:00 and 11:00 UTC (now is 12:00).
    const entries: BackupEntry[] = [];
    for (let d = 0; d < 70; d++) for (const hoursBeforeNoon of [1, 11]) entries.push(entry('database', d + hoursBeforeNoon / 24, 'verified'));
    const plan = planRetention(entries, only('database', { keepDaily: 7, keepWeekly: 4, keepMonthly: 3 }), now);
    const days = plan.keep.map((e) => e.createdAt.toISOString().slice(0, 10));
    assert.equal(new Set(days).size, days.length, 'two kept on one day');
    assert.ok(plan.keep.every((e) => e.createdAt.getUTCHours() === 11), 'the older of a day was kept');
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

/** A small seeded generator, so a failing case can be replayed from the printed seed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('retention properties (2,000 random folders and rule sets)', () => {
  it('never deletes every backup of a series, nor its newest verified one, nor anything when no rule is set', () => {
    const kinds: BackupEntry['kind'][] = ['database', 'config', 'volume'];
    const states: BackupEntry['state'][] = ['verified', 'unverified', 'failed'];
    for (let seed = 1; seed <= 2000; seed++) {
      const r = rng(seed);
      const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)];
      const maybe = (max: number) => (r() < 0.5 ? undefined : Math.floor(r() * max));
      const entries: BackupEntry[] = [];
      const n = Math.floor(r() * 25);
      for (let i = 0; i < n; i++) {
        const e = entry(pick(kinds), r() * 400 - 5, pick(states), pick(['a', 'b', undefined]));
        entries.push({ ...e, fileName: `${e.fileName}_${i}`, path: `${e.path}_${i}` });
      }
      const policy = (): RetentionPolicy => ({ maxAgeDays: maybe(60), keepLast: maybe(5), keepDaily: maybe(10), keepWeekly: maybe(6), keepMonthly: maybe(4) });
      const policies: RetentionPolicies = { database: policy(), config: policy(), volume: policy() };
      const plan = planRetention(entries, policies, now);
      const ctx = `seed ${seed}`;
      assert.equal(plan.keep.length + plan.remove.length, entries.length, ctx);
      assert.doesNotThrow(() => assertPlanKeepsEnough(plan), ctx);
      for (const s of plan.series) {
        const of = s.decisions.map((d) => d.entry);
        assert.ok(s.decisions.some((d) => d.keep), `${ctx}: a series lost everything`);
        const newestVerified = of.filter((e) => e.state === 'verified').sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())[0];
        if (newestVerified) assert.ok(plan.keep.includes(newestVerified), `${ctx}: newest verified removed`);
        const newest = [...of].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())[0];
        assert.ok(plan.keep.includes(newest), `${ctx}: newest removed`);
        const p = s.policy;
        if ([p.maxAgeDays, p.keepLast, p.keepDaily, p.keepWeekly, p.keepMonthly].every((v) => v === undefined)) {
          assert.ok(s.decisions.every((d) => d.keep), `${ctx}: removed with no rule`);
        }
        for (const d of s.decisions) assert.ok(d.reasons.length > 0, `${ctx}: a decision without a reason`);
      }
    }
  });

  it('the guard refuses a plan that would delete the newest verified backup (a rule bug caught before deleting)', () => {
    const entries = [entry('database', 1, 'verified'), entry('database', 2)];
    const plan = planRetention(entries, RUNBOOK_RETENTION, now);
    plan.series[0].decisions[0].keep = false;
    assert.throws(() => assertPlanKeepsEnough(plan), /newest verified database \(sms\) backup/);
    plan.series[0].decisions[1].keep = false;
    assert.throws(() => assertPlanKeepsEnough(plan), /every database \(sms\) backup/);
  });
});
