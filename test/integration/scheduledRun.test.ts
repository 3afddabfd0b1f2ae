import * as assert from 'node:assert/strict';
import { existsSync, promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { Stack } from '../../src/core/stack';
import { readManifest } from '../../src/core/store';
import type { BackupKind } from '../../src/core/store';
import { stackBackup, stackVerify } from '../../src/core/jobs';
import { scheduledJob, JobOutcome, Scheduler, parseSchedules, readScheduleState } from '../../src/core/schedule';
import { FakeClock } from '../support/fakeClock';
import { collectingLogger, demoStack, docker, tempDir } from './harness';

/**
 * A scheduled run against the demo stack: `* * * * *`, a clock moved past the due minute, the
 * real backup, verification and a prune hook. Run under the shared stack lock (flock).
 */
describe('scheduled runs against the demo stack', function () {
  this.timeout(300_000);
  let stack: Stack;
  let dir: string;
  let schedulers: Scheduler[];
  let clock: FakeClock;

  before(async () => {
    stack = await demoStack();
  });

  beforeEach(async () => {
    dir = await tempDir('sched');
    schedulers = [];
    // Half a minute past a minute: 61 s later exactly one due minute has passed.
    clock = new FakeClock(Math.floor(Date.now() / 60_000) * 60_000 + 30_000, async () => {
      for (const s of schedulers) await s.idle();
    });
  });

  afterEach(async () => {
    for (const s of schedulers) s.dispose();
    await fs.rm(dir, { recursive: true, force: true });
  });

  function scheduler(target: () => Promise<Stack>, pruned: BackupKind[], onBackup?: () => void): Scheduler {
    const log = collectingLogger();
    const backup = stackBackup({ docker, stack: target, backupDir: dir, logger: log });
    const job = scheduledJob({
      depth: 'quick',
      backup: async (kind) => {
        onBackup?.();
        return backup(kind);
      },
      verify: stackVerify({ docker, stack: target, logger: log }),
      prune: async (kind) => {
        pruned.push(kind);
      },
      logger: log,
    });
    const s = new Scheduler({
      backupDir: dir,
      schedules: parseSchedules({ database: '* * * * *' }).schedules,
      zone: 'UTC',
      clock,
      run: job,
      logger: log,
    });
    schedulers.push(s);
    return s;
  }

  it('makes a verified database backup at the due minute, under the stack lock, then prunes', async () => {
    const pruned: BackupKind[] = [];
    const lockFile = join(dir, `.lifeboat-${stack.project}.lock`);
    let sawLock = false;
    let watching = false;
    const watch = async () => {
      watching = true;
      while (watching) {
        if (existsSync(lockFile)) sawLock = true;
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    const finished: JobOutcome[] = [];
    const s = scheduler(
      () => Promise.resolve(stack),
      pruned,
      () => void watch(),
    );
    s.onDidFinish((_k, o) => finished.push(o));
    await s.start();
    assert.equal(finished.length, 0, 'nothing runs at start');
    await clock.advance(61_000);
    watching = false;
    assert.equal(finished.length, 1, JSON.stringify(finished));
    assert.equal(finished[0].ok, true, finished[0].problem);
    assert.ok(sawLock, 'the stack lock was held during the backup');
    assert.deepEqual(pruned, ['database']);

    const files = (await fs.readdir(join(dir, 'database'))).filter((f) => f.endsWith('.sql.gz'));
    assert.equal(files.length, 1);
    const { manifest } = await readManifest(join(dir, 'database', files[0]));
    assert.equal(manifest?.verifications.at(-1)?.ok, true);
    assert.equal(manifest?.verifications.at(-1)?.depth, 'quick');
    const state = await readScheduleState(dir);
    assert.equal(state.kinds.database?.outcome, 'ok');
    assert.match(state.kinds.database?.summary ?? '', new RegExp(`${files[0].replace(/\./g, '\\.')}, verified \\(quick\\)`));
    assert.ok(!existsSync(lockFile));
  });

  it('records a failing scheduled backup, keeps nothing partial and prunes nothing', async () => {
    const pruned: BackupKind[] = [];
    const broken: Stack = { ...stack, db: { ...stack.db, database: 'no_such_database' } };
    const s = scheduler(() => Promise.resolve(broken), pruned);
    await s.start();
    await clock.advance(61_000);
    const state = await readScheduleState(dir);
    assert.equal(state.kinds.database?.outcome, 'failed');
    assert.match(state.kinds.database?.problem ?? '', /pg_dump failed.*no_such_database/);
    assert.deepEqual(pruned, []);
    assert.deepEqual(await fs.readdir(join(dir, 'database')), []);
  });

  it('makes one backup when two windows share the backup folder', async () => {
    const pruned: BackupKind[] = [];
    const a = scheduler(() => Promise.resolve(stack), pruned);
    const b = scheduler(() => Promise.resolve(stack), pruned);
    await Promise.all([a.start(), b.start()]);
    const backups = async () => (await fs.readdir(join(dir, 'database'))).filter((f) => f.endsWith('.sql.gz'));
    await clock.advance(61_000);
    assert.equal((await backups()).length, 1, (await backups()).join(', '));
    await clock.advance(60_000);
    assert.equal((await backups()).length, 2, (await backups()).join(', '));
    assert.equal(pruned.length, 2);
    assert.equal((await readScheduleState(dir)).kinds.database?.outcome, 'ok');
  });
});
