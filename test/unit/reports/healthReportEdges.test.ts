import * as assert from 'node:assert/strict';
import type { BackupEntry } from '../../../src/core/store';
import { buildHealthReport, renderHealthMarkdown } from '../../../src/core/reports';

const now = new Date('2026-02-01T12:00:00Z');

function entry(kind: BackupEntry['kind'], hoursAgo: number, state: BackupEntry['state'] = 'unverified'): BackupEntry {
  const createdAt = new Date(now.getTime() - hoursAgo * 3_600_000);
  const fileName = `${kind}_${hoursAgo}.x`;
  return { path: `/b/${fileName}`, fileName, kind, createdAt, bytes: 100, mtime: createdAt, state };
}

describe('health report edges', () => {
  it('no database backup at all is failing, and says so', () => {
    const r = buildHealthReport({ entries: [entry('config', 2)], now, maxAgeHours: 24, checks: new Map() });
    assert.equal(r.status, 'failing');
    assert.match(renderHealthMarkdown(r), /^❌ No database backup at all\.$/m);
  });

  it('a stale newest backup is a warning, marked as such', () => {
    const r = buildHealthReport({ entries: [entry('database', 30)], now, maxAgeHours: 24, checks: new Map() });
    assert.equal(r.status, 'warning');
    assert.match(renderHealthMarkdown(r), /⚠️ Newest database backup: 2026-01-31 06:00 UTC, 30 h ago \(limit 24 h\)\./);
  });

  it('a failed check without a stated problem says "failed"; a failed backup with no detail is listed plainly', () => {
    const db = entry('database', 2);
    const oldConfig = entry('config', 50, 'failed');
    const newConfig = entry('config', 10);
    const r = buildHealthReport({
      entries: [db, oldConfig, newConfig],
      now,
      maxAgeHours: 24,
      checks: new Map([[db.path, { path: db.path, depth: 'quick' as const, ok: false, checks: [], notes: [] }]]),
    });
    assert.equal(r.status, 'failing');
    assert.deepEqual(r.kinds[0].newestCheck, { ok: false, depth: 'quick', detail: 'failed' });
    const md = renderHealthMarkdown(r);
    assert.match(md, /\| database \| 1 \| .* \| ❌ quick: failed \|/);
    assert.match(md, /- ❌ config config_50\.x\n/, 'an older failed backup: not the newest of its series, no detail');
    assert.match(md, /- ❌ database database_2\.x \(newest of its series\)\n/);
  });
});
