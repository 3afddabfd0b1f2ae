import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { LockedError } from '../../../src/core/common';
import { HALF_WRITTEN_MS, acquireLock, liveLocks, lockedMessage } from '../../../src/core/store';

describe('acquireLock (contract 11)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(join(tmpdir(), 'lb-lock-'));
  });

  it('lets one holder in at a time and frees the lock on release', async () => {
    const held = await acquireLock(dir, 'sms', 'database backup');
    await assert.rejects(acquireLock(dir, 'sms', 'restore'), (err: Error) => {
      assert.ok(err instanceof LockedError);
      assert.equal(err.message.split(' since ')[0], 'Another command or a scheduled run in this VS Code window has been backing up "sms"');
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

  it("names another process's lock in words: who, what and since when, in local time", async () => {
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
    try {
      const started = new Date();
      started.setHours(14, 3, 0, 0);
      await fs.writeFile(
        join(dir, '.lifeboat-sms.lock'),
        JSON.stringify({ pid: child.pid, host: hostname(), operation: 'database backup', startedAt: started.toISOString() }),
      );
      const err = await acquireLock(dir, 'sms', 'database backup').then(
        () => assert.fail('the lock was taken'),
        (e: Error) => e,
      );
      assert.ok(err instanceof LockedError);
      const expected = started.toDateString() === new Date().toDateString() ? '14:03' : /\d{4}-\d{2}-\d{2} 14:03/;
      assert.equal(
        err.message.replace(/ since .*/, ''),
        `Another VS Code window or a scheduled run of Lifeboat (process ${child.pid}) has been backing up "sms"`,
      );
      if (typeof expected === 'string') assert.ok(err.message.endsWith(` since ${expected}.`), err.message);
      assert.doesNotMatch(err.message, /\d{4}-\d{2}-\d{2}T|on [\w.-]+,/, 'no raw ISO time or host name of this machine');
      assert.equal(err.hint, 'Wait for it to finish, then retry.');
    } finally {
      child.kill();
    }
  });

  it('says a lock of another day with its date, and one from another host with that host', () => {
    const now = new Date(2026, 2, 10, 9, 0);
    assert.equal(
      lockedMessage(
        'volume_sms_postgres_data',
        { pid: 12, host: 'nas', operation: 'volume snapshot', startedAt: new Date(2026, 2, 9, 23, 30).toISOString() },
        now,
      ),
      'Lifeboat on nas (process 12) has been snapshotting the volume "sms_postgres_data" since 2026-03-09 23:30.',
    );
  });

  it('takes over a lock whose process is gone', async () => {
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    await fs.writeFile(join(dir, '.lifeboat-sms.lock'), JSON.stringify({ pid: dead, host: hostname(), operation: 'x', startedAt: '' }));
    const held = await acquireLock(dir, 'sms', 'database backup');
    await held.release();
  });

  it('takes over an empty lock older than a writer needs to fill it (killed between create and write)', async () => {
    const path = join(dir, '.lifeboat-sms.lock');
    await fs.writeFile(path, '');
    const old = new Date(Date.now() - HALF_WRITTEN_MS - 1000);
    await fs.utimes(path, old, old);
    assert.deepEqual(await liveLocks(dir), []);
    const held = await acquireLock(dir, 'sms', 'database backup');
    assert.equal(JSON.parse(await fs.readFile(path, 'utf8')).pid, process.pid);
    await held.release();
  });

  it('respects an empty or half-written lock while its writer may still be filling it', async () => {
    const path = join(dir, '.lifeboat-sms.lock');
    for (const text of ['', '{"pid":']) {
      await fs.writeFile(path, text);
      assert.equal((await liveLocks(dir)).length, 1);
      await assert.rejects(acquireLock(dir, 'sms', 'database backup'), LockedError);
      assert.equal(await fs.readFile(path, 'utf8'), text);
    }
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

  describe('taking over a stale lock is atomic', () => {
    const staleLock = async () => {
      const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
      await fs.writeFile(
        join(dir, '.lifeboat-sms.lock'),
        JSON.stringify({ pid: dead, host: hostname(), operation: 'crashed backup', startedAt: new Date().toISOString() }),
      );
    };

    it('many attempts at once in one process: exactly one wins', async () => {
      for (let round = 0; round < 30; round++) {
        await fs.rm(dir, { recursive: true, force: true });
        await fs.mkdir(dir);
        await staleLock();
        // Staggered by up to a few milliseconds, so that one attempt's clean-up can land after another's claim.
        const attempt = (i: number) =>
          new Promise<void>((r) => setTimeout(r, (i * 7) % 5)).then(() => acquireLock(dir, 'sms', `attempt ${i}`));
        const results = await Promise.allSettled(Array.from({ length: 16 }, (_, i) => attempt(i)));
        const won = results.filter((r) => r.status === 'fulfilled');
        assert.equal(won.length, 1, `round ${round}: ${won.length} holders`);
        for (const r of results) if (r.status === 'rejected') assert.ok(r.reason instanceof LockedError, String(r.reason));
        const holder = JSON.parse(await fs.readFile(join(dir, '.lifeboat-sms.lock'), 'utf8')) as { pid: number; operation: string };
        assert.equal(holder.pid, process.pid);
        await (won[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof acquireLock>>>).value.release();
        assert.deepEqual(await fs.readdir(dir), [], 'no claim or temporary file is left behind');
      }
    });

    it('many processes at once: exactly one wins, and it is the one the lock file names', async function () {
      this.timeout(30_000);
      await staleLock();
      const lockModule = join(__dirname, '../../../src/core/store/lock.js');
      // Each child tries once, reports, and keeps a won lock until told to exit.
      const script = `
        const { acquireLock } = require(${JSON.stringify(lockModule)});
        acquireLock(${JSON.stringify(dir)}, 'sms', 'child ' + process.pid).then(
          () => { console.log('won ' + process.pid); process.stdin.resume(); process.stdin.on('end', () => process.exit(0)); },
          (err) => { console.log((err.name === 'LockedError' ? 'lost ' : 'error ') + err.message); process.exit(0); });`;
      const children = Array.from({ length: 8 }, () => spawn(process.execPath, ['-e', script], { stdio: ['pipe', 'pipe', 'inherit'] }));
      const lines = await Promise.all(
        children.map(
          (c) =>
            new Promise<string>((resolve) => {
              let out = '';
              c.stdout.on('data', (d: Buffer) => {
                out += d.toString();
                if (out.includes('\n')) resolve(out.trim());
              });
              c.on('exit', () => resolve(out.trim()));
            }),
        ),
      );
      try {
        const winners = lines.filter((l) => l.startsWith('won '));
        assert.equal(winners.length, 1, lines.join('\n'));
        assert.equal(lines.filter((l) => l.startsWith('lost ')).length, children.length - 1, lines.join('\n'));
        const holder = JSON.parse(await fs.readFile(join(dir, '.lifeboat-sms.lock'), 'utf8')) as { pid: number };
        assert.equal(`won ${holder.pid}`, winners[0]);
      } finally {
        for (const c of children) c.stdin.end();
        await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.on('exit', r)) : undefined)));
      }
    });
  });
});
