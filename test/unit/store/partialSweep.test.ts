import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireLock, sweepStalePartials } from '../../../src/core/store';
import type { Logger } from '../../../src/core/common';

function logger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    info: (m) => lines.push(`info ${m}`),
    warn: (m) => lines.push(`warn ${m}`),
    error: (m) => lines.push(`error ${m}`),
    tool: () => undefined,
  };
}

describe('sweepStalePartials: what a run removes of its killed predecessors, and what it leaves', () => {
  let backupDir: string;
  let dir: string;
  beforeEach(async () => {
    backupDir = await fs.mkdtemp(join(tmpdir(), 'lb-sweep-'));
    dir = join(backupDir, 'volumes');
    await fs.mkdir(dir);
  });
  afterEach(async () => {
    await fs.rm(backupDir, { recursive: true, force: true });
  });

  it('a folder that does not exist has nothing to sweep', async () => {
    const log = logger();
    assert.deepEqual(await sweepStalePartials({ backupDir, dir: join(backupDir, 'nowhere'), kind: 'volume', ownLock: '', logger: log }), {
      removed: [],
      bytes: 0,
    });
    assert.deepEqual(log.lines, []);
  });

  it("removes only the series' own plain partials, skips folders, and sums up several", async () => {
    const own = await acquireLock(backupDir, 'volume_sms_data', 'volume snapshot');
    const mine = ['.volume_sms_data_20260101_020000.tar.gz.partial', '.volume_sms_data_20260102_020000.tar.gz.partial'];
    for (const n of mine) await fs.writeFile(join(dir, n), Buffer.alloc(1024));
    const kept = [
      '.volume_other_20260101_020000.tar.gz.partial', // another volume's series
      '.volume_sms_data_20260103_020000.tar.gz.age.partial', // Encrypt's output
      '.volume_sms_data_20260104_020000.tar.gz.partial', // Decrypt's output: its .age is here
      'volume_sms_data_20260104_020000.tar.gz.age',
      '.notes.partial',
    ];
    for (const n of kept) await fs.writeFile(join(dir, n), 'x');
    await fs.mkdir(join(dir, '.volume_sms_data_20260105_020000.tar.gz.partial'));
    const log = logger();
    const r = await sweepStalePartials({ backupDir, dir, kind: 'volume', subject: 'sms_data', ownLock: own.path, logger: log });
    assert.deepEqual(r, { removed: mine.map((n) => join(dir, n)), bytes: 2048 });
    assert.equal(log.lines.at(-1), 'info Removed 2 leftovers of interrupted volume backups: 2.0 KB freed.');
    const left = (await fs.readdir(dir)).sort();
    assert.deepEqual(left, [...kept, '.volume_sms_data_20260105_020000.tar.gz.partial'].sort());
    await own.release();
  });

  it('keeps them while a lock is being written by someone (no owner yet), naming the lock file', async () => {
    await fs.writeFile(join(dir, '.volume_sms_data_20260101_020000.tar.gz.partial'), 'x');
    const half = join(backupDir, '.lifeboat-volume_sms_data.lock');
    await fs.writeFile(half, '');
    const log = logger();
    const r = await sweepStalePartials({ backupDir, dir, kind: 'volume', ownLock: join(backupDir, '.lifeboat-mine.lock'), logger: log });
    assert.deepEqual(r, { removed: [], bytes: 0 });
    assert.deepEqual(log.lines, [`info Kept 1 partial file(s) in ${dir}: another Lifeboat process may be writing them (${half}).`]);
  });
});
