import * as assert from 'node:assert/strict';
import type { BackupEntry, BackupKind } from '../../../src/core/store';
import { buildStatusReport, renderStatusMarkdown, renderStatusText, StatusInput } from '../../../src/core/reports';

const now = new Date('2026-02-01T12:00:00Z');
const hoursAgo = (h: number) => new Date(now.getTime() - h * 3_600_000);
const GB = 1024 ** 3;

function entry(kind: BackupKind, hours: number, state: BackupEntry['state'] = 'verified', bytes = 1000): BackupEntry {
  const at = hoursAgo(hours);
  const fileName = `${kind}_${at.toISOString()}.gz`;
  return { path: `/b/${fileName}`, fileName, kind, createdAt: at, bytes, mtime: at, state };
}

function input(over: Partial<StatusInput>): StatusInput {
  return { backupDir: '/b', entries: [], now, maxAgeHours: 24, minFreeBytes: 0, ...over };
}

describe('buildStatusReport: the status a monitoring job exits on', () => {
  it('no database backup at all is failing, and the text says so in the first line', () => {
    const r = buildStatusReport(input({ entries: [entry('config', 1)] }));
    assert.equal(r.status, 'failing');
    assert.deepEqual(r.problems, ['no database backup']);
    assert.equal(r.disk, undefined);
    assert.deepEqual(r.schedules, []);
    const text = renderStatusText(r);
    assert.match(text, /^Backup status: FAILING \(no database backup\)\n/);
    assert.match(text, /Total size: +1000 B in 1 backup\n/);
    assert.doesNotMatch(text, /Free space/);
    assert.match(text, /database +0 backups, .*oldest –; newest –\n/);
  });

  it('a fresh database backup is ok, with no problems listed', () => {
    const r = buildStatusReport(input({ entries: [entry('database', 2), entry('database', 30)] }));
    assert.equal(r.status, 'ok');
    assert.deepEqual(r.problems, []);
    assert.equal(r.freshness.state, 'fresh');
    assert.match(renderStatusText(r), /^Backup status: OK\n/);
    assert.match(renderStatusText(r), /in 2 backups\n/);
  });

  it('older than the limit is a warning; older than twice the limit is failing', () => {
    const stale = buildStatusReport(input({ entries: [entry('database', 30)] }));
    assert.equal(stale.status, 'warning');
    assert.deepEqual(stale.problems, ['the newest database backup is older than 24 h']);
    const old = buildStatusReport(input({ entries: [entry('database', 50)] }));
    assert.equal(old.status, 'failing');
    assert.deepEqual(old.problems, ['the newest database backup is older than 48 h']);
  });

  it('low disk space is a warning only below the minimum, and 0 turns the check off', () => {
    const disk = { freeBytes: 0.5 * GB, totalBytes: 10 * GB };
    const low = buildStatusReport(input({ entries: [entry('database', 1)], disk, minFreeBytes: GB }));
    assert.equal(low.status, 'warning');
    assert.deepEqual(low.problems, ['low disk space: 512 MB free, below 1.0 GB']);
    assert.equal(low.disk?.low, true);
    assert.match(renderStatusText(low), /Free space: +512 MB of 10 GB \(LOW: below 1.0 GB\)/);
    assert.match(
      renderStatusMarkdown(low),
      /Free space: \*\*512 MB\*\* of 10 GB, \*\*below the 1.0 GB\*\* of lifeboat.storage.minFreeMB\./,
    );

    const off = buildStatusReport(input({ entries: [entry('database', 1)], disk, minFreeBytes: 0 }));
    assert.equal(off.status, 'ok');
    assert.equal(off.disk?.low, false);
    assert.match(renderStatusText(off), /Free space: +512 MB of 10 GB\n/);
    assert.match(renderStatusMarkdown(off), /Free space: \*\*512 MB\*\* of 10 GB\.\n/);

    const plenty = buildStatusReport(
      input({ entries: [entry('database', 1)], disk: { freeBytes: 5 * GB, totalBytes: 10 * GB }, minFreeBytes: GB }),
    );
    assert.equal(plenty.status, 'ok');
  });

  it('a failed scheduled run is a warning that does not hide a failing state', () => {
    const schedules = [
      { kind: 'database' as const, cron: '0 2 * * *', next: '2026-02-02T02:00:00.000Z', last: '2026-02-01T02:00:00.000Z', lastOk: false },
      { kind: 'config' as const, cron: '0 3 * * 0' },
    ];
    const r = buildStatusReport(input({ entries: [], schedules }));
    assert.equal(r.status, 'failing', 'no backup stays failing after a later warning');
    assert.deepEqual(r.problems, ['no database backup', 'the last scheduled database backup failed']);
    const text = renderStatusText(r);
    assert.match(text, /schedule database +0 2 \* \* \*: next 2026-02-02 02:00 UTC, last 2026-02-01 02:00 UTC \(FAILED\)\n/);
    assert.match(text, /schedule config +0 3 \* \* 0: next –, last –\n/);
    const md = renderStatusMarkdown(r);
    assert.match(md, /## Schedules/);
    assert.match(md, /\| database \| `0 2 \* \* \*` \| 2026-02-02 02:00 UTC \| 2026-02-01 02:00 UTC \(failed\) \|/);
    assert.match(md, /\| config \| `0 3 \* \* 0` \| – \| – \|/);
    assert.match(md, /- \*\*FAILING:\*\* no database backup/);
  });

  it('counts failed and unverified backups per kind in both renderings', () => {
    const entries = [
      entry('database', 1, 'verified'),
      entry('database', 5, 'failed'),
      entry('volume', 2, 'unverified'),
      entry('volume', 3, 'unverified'),
    ];
    const r = buildStatusReport(input({ entries }));
    const db = r.kinds.find((k) => k.kind === 'database')!;
    const vol = r.kinds.find((k) => k.kind === 'volume')!;
    assert.deepEqual([db.failed, db.unverified, vol.failed, vol.unverified], [1, 0, 0, 2]);
    assert.equal(r.status, 'warning', 'an older failed backup needs attention; the newest is fine');
    const text = renderStatusText(r);
    assert.match(text, /database +2 backups, .*\(1 failed\)\n/);
    assert.match(text, /volume +2 backups, .*\(2 unverified\)\n/);
    assert.match(text, /config +0 backups, [^(]*\n/);
    assert.match(renderStatusMarkdown(r), /\| volume \| 2 \| 2.0 KB \| .* \| 2 \| 0 \|/);
  });

  it('the Markdown has no problem list and a singular count when all is well', () => {
    const md = renderStatusMarkdown(buildStatusReport(input({ entries: [entry('database', 1)] })));
    assert.match(md, /^# Backup status: OK\n/);
    assert.doesNotMatch(md, /- \*\*/);
    assert.match(md, /\*\*1\*\* backup, \*\*1000 B\*\* in total\./);
    assert.doesNotMatch(md, /Free space|## Schedules/);
    const warn = renderStatusMarkdown(buildStatusReport(input({ entries: [entry('database', 30), entry('database', 31)] })));
    assert.match(warn, /^# Backup status: WARNING\n/);
    assert.match(warn, /\*\*2\*\* backups/);
  });
});
