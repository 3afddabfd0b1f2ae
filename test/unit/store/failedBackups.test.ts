import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listBackups, Manifest, writeManifest, BackupKind, databaseBackupName, timestamp } from '../../../src/core/store';
import { buildHealthReport, renderHealthMarkdown, buildStatusReport, renderStatusText } from '../../../src/core/reports';

const now = new Date('2026-02-01T12:00:00Z');
const hoursAgo = (h: number) => new Date(now.getTime() - h * 3_600_000);

/** A backup file with a sidecar manifest whose verification history ends in `ok`. */
async function backup(dir: string, kind: BackupKind, name: string, at: Date, verdicts: boolean[]): Promise<void> {
  const sub = join(dir, kind === 'volume' ? 'volumes' : kind);
  await fs.mkdir(sub, { recursive: true });
  const path = join(sub, name);
  await fs.writeFile(path, 'x'.repeat(100));
  const m: Manifest = {
    formatVersion: 1,
    kind,
    createdAt: at.toISOString(),
    tool: { name: 'lifeboat', version: 'test' },
    source: {},
    compression: { format: 'gzip' },
    file: { name, bytes: 100, sha256: '' },
    verifications: verdicts.map((ok) => ({
      at: at.toISOString(),
      depth: 'quick' as const,
      ok,
      detail: ok ? undefined : 'gzip: unexpected end of file',
    })),
  };
  await writeManifest(path, m);
}

describe('failed verifications in the status and health reports', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(join(tmpdir(), 'lifeboat-failed-'));
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  const report = async () => buildStatusReport({ backupDir: dir, entries: await listBackups(dir), now, maxAgeHours: 24, minFreeBytes: 0 });

  it('a failed newest backup of a series makes the status FAILING and names it', async () => {
    await backup(dir, 'database', databaseBackupName('sms', hoursAgo(30)), hoursAgo(30), [true]);
    await backup(dir, 'database', databaseBackupName('sms', hoursAgo(20)), hoursAgo(20), [false]);
    await backup(dir, 'database', databaseBackupName('sms', hoursAgo(2)), hoursAgo(2), [true, false]);
    // Another series whose newest is fine but an older one failed.
    await backup(dir, 'database', databaseBackupName('other', hoursAgo(40)), hoursAgo(40), [false]);
    await backup(dir, 'database', databaseBackupName('other', hoursAgo(3)), hoursAgo(3), [true]);
    const r = await report();
    assert.equal(r.status, 'failing');
    const text = renderStatusText(r);
    assert.match(text, /^Backup status: FAILING/);
    assert.match(text, new RegExp(`newest backup of a series failed verification: sms_backup_${timestamp(hoursAgo(2))}\\.sql\\.gz`));
    assert.match(text, /3 backups failed verification \(3 database\)/);
    assert.equal(r.kinds[0].failed, 3);
  });

  it('an older failed backup alone is a WARNING, not OK', async () => {
    await backup(dir, 'database', databaseBackupName('sms', hoursAgo(30)), hoursAgo(30), [false]);
    await backup(dir, 'database', databaseBackupName('sms', hoursAgo(2)), hoursAgo(2), [false, true]);
    await backup(dir, 'volume', `volume_sms_data_${timestamp(hoursAgo(50))}.tar.gz`, hoursAgo(50), [false]);
    await backup(dir, 'volume', `volume_sms_data_${timestamp(hoursAgo(5))}.tar.gz`, hoursAgo(5), [true]);
    const r = await report();
    assert.equal(r.status, 'warning');
    assert.deepEqual(r.problems, ['2 backups failed verification (1 database, 1 volume)']);
  });

  it('all verified and fresh is still OK', async () => {
    await backup(dir, 'database', databaseBackupName('sms', hoursAgo(2)), hoursAgo(2), [false, true]);
    assert.equal((await report()).status, 'ok');
  });

  it('the health report fails on a failed newest backup from its manifest, and lets its own fresh check win', async () => {
    await backup(dir, 'database', databaseBackupName('sms', hoursAgo(30)), hoursAgo(30), [false]);
    await backup(dir, 'volume', `volume_sms_data_${timestamp(hoursAgo(5))}.tar.gz`, hoursAgo(5), [false]);
    await backup(dir, 'database', databaseBackupName('sms', hoursAgo(2)), hoursAgo(2), [true]);
    const entries = await listBackups(dir);
    const r = buildHealthReport({ entries, now, maxAgeHours: 24, checks: new Map() });
    assert.equal(r.status, 'failing');
    assert.deepEqual(
      r.failed.map((f) => [f.file, f.newestOfSeries]),
      [
        [`volume_sms_data_${timestamp(hoursAgo(5))}.tar.gz`, true],
        [`sms_backup_${timestamp(hoursAgo(30))}.sql.gz`, false],
      ],
    );
    const md = renderHealthMarkdown(r);
    assert.match(md, /## Needs attention/);
    assert.match(md, /newest of its series\): gzip: unexpected end of file/);

    const volume = entries.find((e) => e.kind === 'volume')!;
    const rechecked = buildHealthReport({
      entries,
      now,
      maxAgeHours: 24,
      checks: new Map([[volume.path, { path: volume.path, depth: 'quick', ok: true, checks: ['gzip'], notes: [] }]]),
    });
    assert.equal(rechecked.status, 'warning');
    assert.deepEqual(rechecked.problems, ['1 backup failed verification (1 database)']);
  });
});
