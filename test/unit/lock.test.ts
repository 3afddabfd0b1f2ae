import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { LockedError } from '../../src/core/errors';
import { acquireLock } from '../../src/core/lock';

describe('acquireLock (contract 11)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(join(tmpdir(), 'lb-lock-'));
  });

  it('lets one holder in at a time and frees the lock on release', async () => {
    const held = await acquireLock(dir, 'sms', 'database backup');
    await assert.rejects(acquireLock(dir, 'sms', 'restore'), (err: Error) => {
      assert.ok(err instanceof LockedError);
      assert.match(err.message, /database backup, process \d+/);
      return true;
    });
    // Another stack is independent.
    const other = await acquireLock(dir, 'other', 'database backup');
    await other.release();
    await held.release();
    const again = await acquireLock(dir, 'sms', 'restore');
    await again.release();
    assert.deepEqual(await fs.readdir(dir), []);
  });

  it('takes over a lock whose process is gone', async () => {
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    await fs.writeFile(join(dir, '.lifeboat-sms.lock'), JSON.stringify({ pid: dead, host: hostname(), operation: 'x', startedAt: '' }));
    const held = await acquireLock(dir, 'sms', 'database backup');
    await held.release();
  });

  it('respects a lock held from another host (a shared folder)', async () => {
    await fs.writeFile(join(dir, '.lifeboat-sms.lock'), JSON.stringify({ pid: 1, host: 'elsewhere', operation: 'x', startedAt: '' }));
    await assert.rejects(acquireLock(dir, 'sms', 'database backup'), LockedError);
  });

  it('creates the lock file private', async () => {
    const held = await acquireLock(dir, 'sms', 'database backup');
    assert.equal((await fs.stat(held.path)).mode & 0o777, 0o600);
    await held.release();
  });
});
