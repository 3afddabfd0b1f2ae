import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../../../src/core/common';
import type { BackupKind } from '../../../src/core/store';
import { JobOutcome, SCHEDULE_STATE_FILE, Scheduler, parseSchedules, readScheduleState } from '../../../src/core/schedule';
import { FakeClock } from '../../support/fakeClock';

const HOUR = 3_600_000;
const utc = (s: string) => new Date(`${s}Z`).getTime();

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

describe('Scheduler edges: manual runs, failures in their own words, overlapping checks', () => {
  let dir: string;
  let schedulers: Scheduler[];
  let clock: FakeClock;
  beforeEach(async () => {
    dir = await fs.mkdtemp(join(tmpdir(), 'lb-schededge-'));
    schedulers = [];
    clock = new FakeClock(utc('2026-11-26T10:00:00'), async () => {
      for (const s of schedulers) await s.idle();
    });
  });
  afterEach(async () => {
    for (const s of schedulers) s.dispose();
    await fs.rm(dir, { recursive: true, force: true });
  });

  function make(
    kinds: Partial<Record<BackupKind, string>>,
    run: (kind: BackupKind) => Promise<JobOutcome>,
    log = logger(),
    backupDir = dir,
  ): Scheduler {
    const s = new Scheduler({ backupDir, schedules: parseSchedules(kinds).schedules, zone: 'UTC', clock, tickMs: HOUR, run, logger: log });
    schedulers.push(s);
    return s;
  }

  it('"Retry" of a kind with no schedule runs it now, says so, and records it', async () => {
    const log = logger();
    const s = make({ database: '0 2 * * *' }, async (kind) => ({ ok: true, summary: `${kind} made` }), log);
    const outcome = await s.runNow('config');
    assert.deepEqual(outcome, { ok: true, summary: 'config made' });
    assert.ok(log.lines.includes('info Schedule: running config backup (manual, due 2026-11-26T10:00:00.000Z)'), log.lines.join('\n'));
    assert.equal((await readScheduleState(dir)).kinds.config?.outcome, 'ok');
  });

  it('a failure without a stated problem is logged with its summary; a thrown error with its hint', async () => {
    const log = logger();
    let mode: 'summary' | 'throw' = 'summary';
    const s = make(
      { database: '0 2 * * *' },
      async () => {
        if (mode === 'summary') return { ok: false, summary: 'nothing written' };
        throw Object.assign(new Error('The disk is full.'), { hint: 'Free some space.' });
      },
      log,
    );
    const finished: string[] = [];
    s.onDidFinish((kind, o) => finished.push(`${kind} ${o.ok}`));
    await s.runNow('database');
    assert.ok(log.lines.includes('error Schedule: database backup FAILED: nothing written'), log.lines.join('\n'));
    mode = 'throw';
    const o = await s.runNow('database');
    assert.deepEqual(o, { ok: false, summary: 'failed', problem: 'The disk is full. Free some space.' });
    assert.equal((await readScheduleState(dir)).kinds.database?.problem, 'The disk is full. Free some space.');
    assert.deepEqual(finished, ['database false', 'database false']);
  });

  it('a backup folder that cannot hold the lock is an error of the run, not a silent skip', async () => {
    const file = join(dir, 'not-a-folder');
    await fs.writeFile(file, 'x');
    const log = logger();
    const s = make({ database: '0 2 * * *' }, async () => ({ ok: true, summary: 'never' }), log, file);
    await assert.rejects(s.runNow('database'), /not-a-folder/);
    await s.start();
    assert.ok(
      log.lines.some((l) => l.startsWith(`warn Schedule: could not write ${SCHEDULE_STATE_FILE}:`)),
      log.lines.join('\n'),
    );
  });

  it('a check asked for while one runs is folded into it; change listeners hear each run and can leave', async () => {
    await fs.writeFile(
      join(dir, SCHEDULE_STATE_FILE),
      JSON.stringify({ formatVersion: 1, kinds: { database: { since: '2026-11-20T00:00:00.000Z' } } }),
    );
    let runs = 0;
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const s = make({ database: '0 2 * * *' }, async () => {
      runs++;
      await gate;
      return { ok: true, summary: 'ok' };
    });
    let changes = 0;
    const sub = s.onDidChange(() => changes++);
    const first = s.start();
    const second = s.check();
    release();
    await Promise.all([first, second]);
    assert.equal(runs, 1, 'the missed run is caught up once');
    assert.ok(changes >= 2);
    sub.dispose();
    const seen = changes;
    await s.runNow('database');
    assert.equal(changes, seen);
  });

  it('stopping between kinds leaves the later kinds for the next start', async () => {
    await fs.writeFile(
      join(dir, SCHEDULE_STATE_FILE),
      JSON.stringify({
        formatVersion: 1,
        kinds: { database: { since: '2026-11-20T00:00:00.000Z' }, config: { since: '2026-11-20T00:00:00.000Z' } },
      }),
    );
    const ran: BackupKind[] = [];
    const s = make({ database: '0 2 * * *', config: '0 1 * * *' }, async (kind) => {
      ran.push(kind);
      s.stop();
      return { ok: true, summary: 'ok' };
    });
    await s.start();
    assert.deepEqual(ran, ['database']);
  });

  it('with no kinds scheduled nothing is armed, on the real clock too', async () => {
    const s = new Scheduler({ backupDir: dir, schedules: {}, zone: 'UTC', run: async () => ({ ok: true, summary: '' }) });
    schedulers.push(s);
    await s.start();
    assert.deepEqual(s.status(), []);
    s.stop();
  });
});
