import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCron, LifeboatError, LockedError } from '../../../src/core/common';
import type { Logger } from '../../../src/core/common';
import type { BackupKind } from '../../../src/core/store';
import {
  scheduleDescription,
  scheduleLines,
  DEFAULT_SCHEDULES,
  JobOutcome,
  SCHEDULE_STATE_FILE,
  Scheduler,
  parseSchedules,
  readScheduleState,
} from '../../../src/core/schedule';
import { FakeClock } from '../../support/fakeClock';
import { inBerlinTime } from '../../support/timeZone';

const HOUR = 3_600_000;
const MIN = 60_000;
const utc = (s: string) => new Date(`${s}Z`).getTime();

interface Harness {
  clock: FakeClock;
  runs: { kind: BackupKind; at: string }[];
  make(opts?: {
    kinds?: Partial<Record<BackupKind, string>>;
    job?: (kind: BackupKind) => Promise<JobOutcome>;
    tickMs?: number;
    zone?: 'UTC' | 'local';
    logger?: Logger;
  }): Scheduler;
}

describe('Scheduler (injected clock)', () => {
  let dir: string;
  let schedulers: Scheduler[];
  let h: Harness;

  beforeEach(async () => {
    dir = await fs.mkdtemp(join(tmpdir(), 'lb-sched-'));
    schedulers = [];
    const runs: { kind: BackupKind; at: string }[] = [];
    const clock = new FakeClock(utc('2026-11-26T10:00:00'), async () => {
      for (const s of schedulers) await s.idle();
    });
    h = {
      clock,
      runs,
      make(opts = {}) {
        const { schedules, errors } = parseSchedules(opts.kinds ?? { database: DEFAULT_SCHEDULES.database });
        assert.deepEqual(errors, []);
        const s = new Scheduler({
          backupDir: dir,
          schedules,
          zone: opts.zone ?? 'UTC',
          clock,
          tickMs: opts.tickMs ?? MIN,
          logger: opts.logger,
          run:
            opts.job ??
            (async (kind) => {
              runs.push({ kind, at: clock.now().toISOString() });
              return { ok: true, summary: `${kind} done` };
            }),
        });
        schedulers.push(s);
        return s;
      },
    };
  });

  afterEach(async () => {
    for (const s of schedulers) s.dispose();
    await fs.rm(dir, { recursive: true, force: true });
  });

  async function writeState(kinds: Record<string, unknown>): Promise<void> {
    await fs.writeFile(join(dir, SCHEDULE_STATE_FILE), JSON.stringify({ formatVersion: 1, kinds }));
  }

  it('fires at the due minute, day after day, and shows next and last run', async () => {
    const s = h.make();
    await s.start();
    assert.equal(h.runs.length, 0);
    assert.equal(s.status()[0].next?.toISOString(), '2026-11-27T02:00:00.000Z');
    await h.clock.advance(utc('2026-11-27T02:00:00') - h.clock.t + 1000);
    assert.equal(h.runs.length, 1);
    assert.match(h.runs[0].at, /^2026-11-27T02:00:00/);
    const st = s.status()[0];
    assert.equal(st.last?.outcome, 'ok');
    assert.equal(st.last?.lastDue, '2026-11-27T02:00:00.000Z');
    assert.equal(st.next?.toISOString(), '2026-11-28T02:00:00.000Z');
    await h.clock.advance(24 * HOUR);
    assert.deepEqual(
      h.runs.map((r) => r.at.slice(0, 16)),
      ['2026-11-27T02:00', '2026-11-28T02:00'],
    );
  });

  it('runs the runbook defaults over eight days: database daily, volumes on Sunday, config on the 1st', async () => {
    const s = h.make({ kinds: DEFAULT_SCHEDULES, tickMs: HOUR });
    await s.start();
    await h.clock.advance(8 * 24 * HOUR);
    const by = (k: BackupKind) => h.runs.filter((r) => r.kind === k).map((r) => r.at.slice(0, 16));
    assert.equal(by('database').length, 8);
    assert.deepEqual(by('volume'), ['2026-11-29T03:00']);
    assert.deepEqual(by('config'), ['2026-12-01T01:00']);
  });

  it('does not run a due time from before the schedule was enabled', async () => {
    const s = h.make();
    await s.start();
    await s.check();
    assert.equal(h.runs.length, 0);
    const state = await readScheduleState(dir);
    assert.equal(state.kinds.database?.since, '2026-11-26T10:00:00.000Z');
  });

  it('catches up once on start after several missed days, not once per day', async () => {
    await writeState({ database: { lastDue: '2026-11-22T02:00:00.000Z', outcome: 'ok' } });
    const s = h.make();
    await s.start();
    assert.equal(h.runs.length, 1);
    assert.equal((await readScheduleState(dir)).kinds.database?.lastDue, '2026-11-26T02:00:00.000Z');
    await s.check();
    await h.clock.advance(10 * MIN);
    assert.equal(h.runs.length, 1);
  });

  it('runs once on wake when a laptop slept through 02:00', async () => {
    h.clock.t = utc('2026-11-26T23:00:00');
    const s = h.make();
    await s.start();
    // Suspend at 23:00 for ten hours: the armed timer's elapsed time stands still.
    h.clock.jump(10 * HOUR);
    assert.equal(h.runs.length, 0);
    await h.clock.advance(MIN + 1000);
    assert.equal(h.runs.length, 1);
    assert.match(h.runs[0].at, /^2026-11-27T09:0/);
    await h.clock.advance(HOUR);
    assert.equal(h.runs.length, 1);
    await h.clock.advance(utc('2026-11-28T02:01:00') - h.clock.t);
    assert.equal(h.runs.length, 2);
  });

  it('runs once when the clock jumps forward over 02:00, and never twice when it jumps back', async () => {
    h.clock.t = utc('2026-11-27T01:00:00');
    const s = h.make();
    await s.start();
    h.clock.jump(4 * HOUR); // 05:00
    await h.clock.advance(MIN + 1000);
    assert.equal(h.runs.length, 1);
    h.clock.jump(-3.5 * HOUR); // 01:31 again
    await h.clock.advance(2 * HOUR); // through 02:00 a second time
    assert.equal(h.runs.length, 1);
    assert.equal(s.status()[0].next?.toISOString(), '2026-11-28T02:00:00.000Z');
    await h.clock.advance(utc('2026-11-28T02:01:00') - h.clock.t);
    assert.equal(h.runs.length, 2);
  });

  it('resumes from now when the clock was far ahead at the last run, instead of waiting years', async () => {
    await writeState({ database: { since: '2026-01-01T00:00:00.000Z', lastDue: '2031-05-05T02:00:00.000Z', outcome: 'ok' } });
    const s = h.make();
    await s.start();
    assert.equal(h.runs.length, 0);
    assert.equal(s.status()[0].next?.toISOString(), '2026-11-27T02:00:00.000Z');
    await h.clock.advance(utc('2026-11-27T02:01:00') - h.clock.t);
    assert.equal(h.runs.length, 1);
  });

  it('a start recorded in the future with an older last run resumes from now: the missed 02:00 runs once, not years later', async () => {
    await writeState({ database: { since: '2031-05-05T00:00:00.000Z', lastDue: '2026-11-25T02:00:00.000Z', outcome: 'ok' } });
    const s = h.make();
    await s.start();
    assert.deepEqual(h.runs, [{ kind: 'database', at: '2026-11-26T10:00:00.000Z' }]);
    const state = await readScheduleState(dir);
    assert.equal(state.kinds.database?.since, '2026-11-26T02:00:00.000Z', 'the start was set back to the last due time before now');
    assert.equal(state.kinds.database?.lastDue, '2026-11-26T02:00:00.000Z');
    assert.equal(s.status()[0].next?.toISOString(), '2026-11-27T02:00:00.000Z');
    await h.clock.advance(utc('2026-11-27T02:01:00') - h.clock.t);
    assert.equal(h.runs.length, 2);
  });

  it('runs a due time in one of two windows sharing the state file', async () => {
    await writeState({ database: { lastDue: '2026-11-25T02:00:00.000Z' } });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slow = async (kind: BackupKind): Promise<JobOutcome> => {
      h.runs.push({ kind, at: h.clock.now().toISOString() });
      await gate;
      return { ok: true, summary: 'done' };
    };
    const a = h.make({ job: slow });
    const b = h.make({ job: slow });
    const startA = a.start();
    // Let A take the lock and enter the job before B looks.
    while (h.runs.length === 0) await new Promise((r) => setTimeout(r, 5));
    await b.start();
    assert.match(b.status()[0].elsewhere ?? '', /has been running a scheduled database backup since \d{2}:\d{2}\.$/);
    release();
    await startA;
    await b.check();
    assert.equal(h.runs.length, 1);
    assert.equal(b.status()[0].elsewhere, undefined);
    assert.equal(b.status()[0].last?.lastDue, '2026-11-26T02:00:00.000Z');
  });

  it('runs one job when two windows check at the same moment', async () => {
    await writeState({ database: { lastDue: '2026-11-25T02:00:00.000Z' } });
    const job = async (kind: BackupKind): Promise<JobOutcome> => {
      h.runs.push({ kind, at: h.clock.now().toISOString() });
      await new Promise((r) => setTimeout(r, 30));
      return { ok: true, summary: 'done' };
    };
    const a = h.make({ job });
    const b = h.make({ job });
    await Promise.all([a.start(), b.start()]);
    await h.clock.advance(5 * MIN);
    assert.equal(h.runs.length, 1);
  });

  it('re-reads the state under the lock: a run another window recorded meanwhile is not repeated', async () => {
    await writeState({ config: { lastDue: '2026-10-01T01:00:00.000Z' }, volume: { lastDue: '2026-11-15T03:00:00.000Z' } });
    const s = h.make({
      kinds: { config: DEFAULT_SCHEDULES.config, volume: DEFAULT_SCHEDULES.volume },
      job: async (kind) => {
        h.runs.push({ kind, at: h.clock.now().toISOString() });
        if (kind === 'config') {
          // Meanwhile another window (between our read and our lock) ran the volume snapshot.
          const state = JSON.parse(await fs.readFile(join(dir, SCHEDULE_STATE_FILE), 'utf8'));
          state.kinds.volume = { lastDue: '2026-11-22T03:00:00.000Z', outcome: 'ok', host: 'other', pid: 1 };
          await fs.writeFile(join(dir, SCHEDULE_STATE_FILE), JSON.stringify(state));
        }
        return { ok: true, summary: 'done' };
      },
    });
    await s.start();
    assert.deepEqual(
      h.runs.map((r) => r.kind),
      ['config'],
    );
    const state = await readScheduleState(dir);
    assert.equal(state.kinds.volume?.host, 'other');
    assert.equal(state.kinds.config?.lastDue, '2026-11-01T01:00:00.000Z');
  });

  it('records a failed run, tells the listeners, does not repeat it every tick, and retries on demand', async () => {
    await writeState({ database: { lastDue: '2026-11-25T02:00:00.000Z' } });
    let fail = true;
    const finished: JobOutcome[] = [];
    const s = h.make({
      job: async (kind) => {
        h.runs.push({ kind, at: h.clock.now().toISOString() });
        if (fail) throw new Error('pg_dump failed (exit code 1): connection refused');
        return { ok: true, summary: 'fine' };
      },
    });
    s.onDidFinish((_k, o) => finished.push(o));
    await s.start();
    assert.equal(h.runs.length, 1);
    assert.equal(finished[0].ok, false);
    assert.match(s.status()[0].last?.problem ?? '', /connection refused/);
    await h.clock.advance(10 * MIN);
    assert.equal(h.runs.length, 1);
    fail = false;
    const retried = await s.runNow('database');
    assert.equal(retried?.ok, true);
    assert.equal(h.runs.length, 2);
    assert.equal(s.status()[0].last?.outcome, 'ok');
  });

  it("logs a failed run's cause chain under its FAILED line", async () => {
    await writeState({ database: { lastDue: '2026-11-25T02:00:00.000Z' } });
    const lines: string[] = [];
    const logger: Logger = { info: () => {}, warn: () => {}, error: (m) => lines.push(m), tool: () => {} };
    const disk = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    h.make({
      logger,
      job: async () => {
        throw new LifeboatError('The backup could not be written.', 'Free some space.', undefined, { cause: disk });
      },
    });
    await schedulers[0].start();
    const failed = lines.findIndex((l) => /database backup FAILED: The backup could not be written\. Free some space\./.test(l));
    assert.ok(failed >= 0, lines.join('\n'));
    assert.equal(lines[failed + 1], '  caused by: ENOSPC: no space left on device, write');
  });

  it('postpones, not fails, a run whose backup finds the stack locked by a click, and runs it on a later tick', async () => {
    await writeState({ database: { lastDue: '2026-11-25T02:00:00.000Z' } });
    let busy = true;
    const s = h.make({
      job: async (kind) => {
        h.runs.push({ kind, at: h.clock.now().toISOString() });
        if (busy)
          throw new LockedError(
            'Another VS Code window or a scheduled run of Lifeboat (process 1) has been restoring the database of sms since 14:03.',
          );
        return { ok: true, summary: 'fine' };
      },
    });
    await s.start();
    assert.equal(s.status()[0].last?.outcome, undefined);
    assert.match(s.status()[0].elsewhere ?? '', /restoring the database of sms/);
    busy = false;
    await h.clock.advance(MIN + 1000);
    assert.equal(h.runs.length, 2);
    assert.equal(s.status()[0].last?.outcome, 'ok');
    assert.equal(s.status()[0].elsewhere, undefined);
  });

  it('writes the state file privately and whole', async () => {
    await writeState({ database: { lastDue: '2026-11-25T02:00:00.000Z' } });
    const s = h.make();
    await s.start();
    const path = join(dir, SCHEDULE_STATE_FILE);
    assert.equal((await fs.stat(path)).mode & 0o777, 0o600);
    const saved = JSON.parse(await fs.readFile(path, 'utf8'));
    assert.equal(saved.formatVersion, 1);
    assert.equal(saved.kinds.database.outcome, 'ok');
    assert.deepEqual((await fs.readdir(dir)).sort(), [SCHEDULE_STATE_FILE]);
  });

  describe('in local time across the clock changes (Europe/Berlin)', () => {
    inBerlinTime();

    it('runs a 02:30 job once on the autumn night, checking every minute through the repeated hour', async () => {
      h.clock.t = utc('2026-10-24T22:00:00'); // 00:00 CEST on 25 October
      const s = h.make({ kinds: { database: '30 2 * * *' }, zone: 'local' });
      await s.start();
      await h.clock.advance(5 * HOUR); // to 05:00 CET, through 02:00–03:00 twice
      assert.deepEqual(
        h.runs.map((r) => r.at.slice(0, 16)),
        ['2026-10-25T00:30'],
      );
      assert.equal(s.status()[0].next?.toISOString(), '2026-10-26T01:30:00.000Z');
    });

    it('runs a 02:30 job once on the spring night, at 03:00 when the skipped hour ends', async () => {
      h.clock.t = utc('2026-03-28T22:00:00'); // 23:00 CET on 28 March
      const s = h.make({ kinds: { database: '30 2 * * *' }, zone: 'local' });
      await s.start();
      await h.clock.advance(5 * HOUR);
      assert.deepEqual(
        h.runs.map((r) => r.at.slice(0, 16)),
        ['2026-03-29T01:00'],
      );
      assert.equal(new Date(h.runs[0].at).getHours(), 3);
    });
  });

  it('starts afresh from a corrupt state file, without running anything at once', async () => {
    await fs.writeFile(join(dir, SCHEDULE_STATE_FILE), '{"formatVersion": 1, "kinds": {"database": {"lastDue": "2026-11-2');
    const s = h.make();
    await s.start();
    assert.equal(h.runs.length, 0);
    assert.equal((await readScheduleState(dir)).kinds.database?.since, '2026-11-26T10:00:00.000Z');
    await h.clock.advance(utc('2026-11-27T02:01:00') - h.clock.t);
    assert.equal(h.runs.length, 1);
  });

  it('does not repeat a run every tick when its result cannot be written (as on a full disk)', async () => {
    await writeState({ database: { lastDue: '2026-11-25T02:00:00.000Z' } });
    const s = h.make();
    // A folder where the state file goes: reading fails, and so does the rename that writes it.
    await fs.rm(join(dir, SCHEDULE_STATE_FILE));
    await fs.mkdir(join(dir, SCHEDULE_STATE_FILE));
    await fs.writeFile(join(dir, SCHEDULE_STATE_FILE, 'x'), '');
    await s.start();
    // Nothing known about the kind: it starts now, and the next 02:00 runs once.
    await h.clock.advance(utc('2026-11-27T02:01:00') - h.clock.t);
    assert.equal(h.runs.length, 1);
    await h.clock.advance(30 * MIN);
    assert.equal(h.runs.length, 1);
    assert.equal(s.status()[0].last?.outcome, 'ok');
  });

  it('stops firing when stopped', async () => {
    const s = h.make();
    await s.start();
    s.stop();
    assert.equal(h.clock.pending, 0);
    await h.clock.advance(2 * 24 * HOUR);
    assert.equal(h.runs.length, 0);
  });

  it('reports invalid expressions per kind, naming the setting, and schedules the valid ones', () => {
    const { schedules, errors } = parseSchedules({ database: '0 25 * * *', config: '', volume: DEFAULT_SCHEDULES.volume });
    assert.deepEqual(Object.keys(schedules), ['volume']);
    assert.equal(errors.length, 1);
    assert.match(errors[0].message, /"0 25 \* \* \*" in the setting lifeboat\.schedule\.database/);
    assert.equal(parseCron(DEFAULT_SCHEDULES.config).source, '0 1 1 * *');
  });
});

describe('schedule text for the tree and tooltips', () => {
  const now = new Date('2026-11-26T10:49:00Z');
  const base = { kind: 'database' as const, cron: '0 2 * * *', zone: 'UTC' as const, running: false };

  it("says when the next run is, in the schedule's zone", () => {
    const s = { ...base, next: new Date('2026-11-27T02:00:00Z') };
    assert.equal(scheduleDescription(s), 'next Fri 27 Nov 02:00 UTC');
    assert.deepEqual(scheduleLines(s, now), [
      'Database schedule: 0 2 * * * (UTC)',
      'Next run: Fri 27 Nov 02:00 UTC (in 15 h)',
      'Last run: none yet',
    ]);
  });

  it('shows a failed last run, a run in progress and one waiting for another window', () => {
    const failed = {
      ...base,
      next: new Date('2026-11-27T02:00:00Z'),
      last: { lastStart: '2026-11-26T02:00:00.000Z', outcome: 'failed' as const, problem: 'pg_dump failed' },
    };
    assert.equal(scheduleDescription(failed), 'last run failed · next Fri 27 Nov 02:00 UTC');
    assert.equal(scheduleLines(failed, now)[2], 'Last run: Thu 26 Nov 02:00 UTC, FAILED: pg_dump failed');
    assert.equal(scheduleDescription({ ...base, running: true }), 'backing up now');
    assert.match(
      scheduleLines({ ...base, elsewhere: 'Another Lifeboat operation…' }, now).join('\n'),
      /Waiting: Another Lifeboat operation/,
    );
  });
});
