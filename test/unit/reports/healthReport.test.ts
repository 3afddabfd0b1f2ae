import * as assert from 'node:assert/strict';
import type { BackupEntry } from '../../../src/core/store';
import { buildHealthReport, renderHealthMarkdown } from '../../../src/core/reports';
import type { VerifyResult } from '../../../src/core/verify';

const now = new Date('2026-02-01T12:00:00Z');

function entry(kind: BackupEntry['kind'], hoursAgo: number, bytes: number, subject?: string): BackupEntry {
  const createdAt = new Date(now.getTime() - hoursAgo * 3_600_000);
  const fileName = `${kind}_${hoursAgo}.x`;
  return { path: `/b/${fileName}`, fileName, kind, subject, createdAt, bytes, mtime: createdAt, state: 'unverified' };
}

function ok(path: string): VerifyResult {
  return { path, depth: 'full', ok: true, checks: ['test restore'], notes: [] };
}

describe('buildHealthReport', () => {
  it('is ok with a fresh, checked database backup and steady sizes', () => {
    const entries = [entry('database', 30, 1_000_000), entry('database', 6, 1_050_000), entry('config', 100, 5000)];
    const r = buildHealthReport({
      entries,
      now,
      maxAgeHours: 24,
      checks: new Map([['/b/database_6.x', ok('/b/database_6.x')]]),
      disk: { freeBytes: 5e9, totalBytes: 1e10 },
    });
    assert.equal(r.status, 'ok');
    assert.equal(r.freshness.state, 'fresh');
    assert.equal(r.freshness.ageHours, 6);
    assert.equal(r.kinds[0].count, 2);
    assert.equal(r.kinds[0].oldest?.file, 'database_30.x');
    assert.equal(r.kinds[0].newest?.file, 'database_6.x');
    assert.equal(r.totalBytes, 2_055_000);
    assert.deepEqual(r.anomalies, []);
    assert.match(renderHealthMarkdown(r), /# Backup health: ✅ ok/);
  });

  it('warns about a backup much smaller than the one before it, per volume', () => {
    const entries = [
      entry('database', 30, 1_000_000),
      entry('database', 6, 20),
      entry('volume', 50, 900_000, 'a'),
      entry('volume', 40, 100, 'b'),
      entry('volume', 10, 880_000, 'a'),
    ];
    const r = buildHealthReport({ entries, now, maxAgeHours: 24, checks: new Map() });
    assert.equal(r.status, 'warning');
    assert.deepEqual(
      r.anomalies.map((a) => a.file),
      ['database_6.x'],
    );
    assert.match(renderHealthMarkdown(r), /less than half of the one before it/);
  });

  it('fails without a database backup, with an old one, or when the newest does not verify', () => {
    assert.equal(buildHealthReport({ entries: [], now, maxAgeHours: 24, checks: new Map() }).status, 'failing');
    assert.equal(buildHealthReport({ entries: [entry('database', 60, 10)], now, maxAgeHours: 24, checks: new Map() }).status, 'failing');
    const stale = buildHealthReport({ entries: [entry('database', 30, 10)], now, maxAgeHours: 24, checks: new Map() });
    assert.equal(stale.status, 'warning');
    const failed: VerifyResult = { path: '/b/database_2.x', depth: 'quick', ok: false, checks: [], notes: [], problem: 'truncated' };
    const r = buildHealthReport({ entries: [entry('database', 2, 10)], now, maxAgeHours: 24, checks: new Map([[failed.path, failed]]) });
    assert.equal(r.status, 'failing');
    assert.match(renderHealthMarkdown(r), /❌ quick: truncated/);
  });
});
