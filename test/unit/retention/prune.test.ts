import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LockedError } from '../../../src/core/common';
import { acquireLock, Manifest, writeManifest } from '../../../src/core/store';
import { pruneBackups, RUNBOOK_RETENTION } from '../../../src/core/retention';

const now = new Date('2026-11-26T12:00:00Z');

function verified(name: string): Manifest {
  return {
    formatVersion: 1,
    kind: 'database',
    createdAt: `${name.slice(11, 15)}-${name.slice(15, 17)}-${name.slice(17, 19)}T02:00:00.000Z`,
    tool: { name: 'lifeboat', version: 'test' },
    source: {},
    compression: { format: 'gzip', level: 6 },
    file: { name, bytes: 4, sha256: 'x' },
    verifications: [{ at: now.toISOString(), depth: 'quick', ok: true }],
  };
}

async function exists(p: string): Promise<boolean> {
  return fs.lstat(p).then(
    () => true,
    () => false,
  );
}

/** A real folder in the layout users have: ours, the runbook's, and things that are nobody's business. */
async function folder(): Promise<{ dir: string; foreign: string[] }> {
  const dir = await fs.mkdtemp(join(tmpdir(), 'lb-prune-'));
  for (const sub of ['database', 'config', 'volumes']) await fs.mkdir(join(dir, sub));
  const db = (d: string) => join(dir, 'database', `sms_backup_${d}_020000.sql.gz`);
  // 2026-09-01 .. 2026-09-10: all older than 30 days; 09-05 is the newest verified.
  for (let day = 1; day <= 10; day++) await fs.writeFile(db(`202609${String(day).padStart(2, '0')}`), 'data');
  await writeManifest(db('20260905'), verified('sms_backup_20260905_020000.sql.gz'));
  await writeManifest(db('20260902'), verified('sms_backup_20260902_020000.sql.gz'));
  const foreign = [
    join(dir, 'database', 'notes.txt'),
    join(dir, 'database', 'sms_backup_latest.sql.gz'),
    join(dir, 'database', 'important-before-upgrade.sql.gz'),
    join(dir, 'database', '.sms_backup_20260801_020000.sql.gz.partial'),
    join(dir, 'old_dump_2020.sql'),
  ];
  for (const f of foreign) await fs.writeFile(f, 'keep me');
  // A folder with a backup's name: not a file, never removed.
  await fs.mkdir(join(dir, 'database', 'sms_backup_20200101_000000.sql.gz'));
  foreign.push(join(dir, 'database', 'sms_backup_20200101_000000.sql.gz'));
  return { dir, foreign };
}

describe('pruneBackups on a real folder', () => {
  it('deletes old Lifeboat-named backups with their manifests, keeps the newest and the newest verified, never a foreign file', async () => {
    const { dir, foreign } = await folder();
    const r = await pruneBackups(dir, RUNBOOK_RETENTION, { now, lockName: 'sms' });
    const left = (await fs.readdir(join(dir, 'database'))).filter((n) => /^sms_backup_202609\d\d_020000\.sql\.gz$/.test(n)).sort();
    assert.deepEqual(left, ['sms_backup_20260905_020000.sql.gz', 'sms_backup_20260910_020000.sql.gz']);
    assert.equal(r.removed.length, 8);
    assert.equal(r.freedBytes, 8 * 4);
    assert.deepEqual(r.failures, []);
    assert.equal(
      await exists(join(dir, 'database', 'sms_backup_20260902_020000.sql.gz.json')),
      false,
      'manifest of a deleted backup left behind',
    );
    assert.equal(await exists(join(dir, 'database', 'sms_backup_20260905_020000.sql.gz.json')), true);
    for (const f of foreign) assert.equal(await exists(f), true, `${f} was deleted`);
    assert.equal(await exists(join(dir, '.lifeboat-sms.lock')), false, 'lock left behind');
  });

  it('deletes only what the preview showed, when the fresh plan still agrees', async () => {
    const { dir } = await folder();
    const previewed = new Set([
      join(dir, 'database', 'sms_backup_20260901_020000.sql.gz'),
      // The newest verified: a stale or forged preview must not get it deleted.
      join(dir, 'database', 'sms_backup_20260905_020000.sql.gz'),
    ]);
    const r = await pruneBackups(dir, RUNBOOK_RETENTION, { now, only: previewed });
    assert.deepEqual(
      r.removed.map((x) => x.path),
      [join(dir, 'database', 'sms_backup_20260901_020000.sql.gz')],
    );
    assert.equal(await exists(join(dir, 'database', 'sms_backup_20260905_020000.sql.gz')), true);
  });

  it('waits for no one: another operation holding the stack lock means nothing is deleted', async () => {
    const { dir } = await folder();
    const lock = await acquireLock(dir, 'sms', 'backup');
    try {
      await assert.rejects(pruneBackups(dir, RUNBOOK_RETENTION, { now, lockName: 'sms' }), LockedError);
    } finally {
      await lock.release();
    }
    assert.equal((await fs.readdir(join(dir, 'database'))).filter((n) => n.endsWith('_020000.sql.gz')).length, 10);
  });

  it('a cancel stops between files: what is left is whole', async () => {
    const { dir } = await folder();
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(pruneBackups(dir, RUNBOOK_RETENTION, { now, signal: ac.signal }), /Cancelled/);
    assert.equal((await fs.readdir(join(dir, 'database'))).filter((n) => n.endsWith('_020000.sql.gz')).length, 10);
  });
});
