import { promises as fs } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import {
  CronSchedule,
  CronZone,
  nextRun,
  parseCron,
  previousRun,
  causeLines,
  LifeboatError,
  LockedError,
  Logger,
  silentLogger,
} from '../common';
import { ensurePrivateDir, writeFileAtomic, acquireLock } from '../store';
import type { BackupKind } from '../store';

export const SCHEDULE_KINDS: readonly BackupKind[] = ['database', 'config', 'volume'];

/** The runbook's schedule table: database daily 02:00, config monthly on the 1st 01:00, volumes Sundays 03:00 (UTC). */
export const DEFAULT_SCHEDULES: Readonly<Record<BackupKind, string>> = {
  database: '0 2 * * *',
  config: '0 1 1 * *',
  volume: '0 3 * * 0',
};

/** The state file in the backup folder, shared by every window (and host) using that folder. */
export const SCHEDULE_STATE_FILE = '.lifeboat-schedule.json';
/**
 * Lock name (the lock file of contract 11 in docs/contracts.md) that one scheduled run holds from
 * its state check to its state write.
 */
export const SCHEDULE_LOCK = 'schedule';

/** What a scheduled job reports. A job that throws counts as failed with the error's message. */
export interface JobOutcome {
  ok: boolean;
  /** One line for the tree and the log, e.g. "sms_backup_….sql.gz, verified (quick)". */
  summary: string;
  files?: string[];
  problem?: string;
}

export type ScheduledJob = (kind: BackupKind) => Promise<JobOutcome>;

/** Wall clock and timers, injected so tests can move time (and jump it) at will. */
export interface SchedulerClock {
  now(): Date;
  setTimer(fn: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
}

export const systemClock: SchedulerClock = {
  now: () => new Date(),
  setTimer: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clearTimer: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** One kind's record in the state file. */
export interface KindState {
  /** When this kind was first scheduled here: due times before it are not "missed". */
  since?: string;
  /** The due time the last run covered; a due time after it is still to run. */
  lastDue?: string;
  lastStart?: string;
  lastEnd?: string;
  outcome?: 'ok' | 'failed';
  summary?: string;
  problem?: string;
  /** Who ran it: `host` and `pid`, so a window can tell its own runs from another's. */
  host?: string;
  pid?: number;
}

export interface ScheduleState {
  formatVersion: 1;
  kinds: Partial<Record<BackupKind, KindState>>;
}

export interface KindStatus {
  kind: BackupKind;
  cron: string;
  zone: CronZone;
  next?: Date;
  last?: KindState;
  running: boolean;
  /** Set while another window (or host) holds the schedule lock or the backup's own lock. */
  elsewhere?: string;
}

export interface SchedulerOptions {
  /** The backup folder: holds the state file and the lock. */
  backupDir: string;
  schedules: Partial<Record<BackupKind, CronSchedule>>;
  zone: CronZone;
  run: ScheduledJob;
  clock?: SchedulerClock;
  /**
   * The longest a timer sleeps. Timers measure elapsed time, which stands still while a laptop
   * sleeps and ignores a wall clock that is set; re-reading the clock this often catches both.
   */
  tickMs?: number;
  logger?: Logger;
}

/** Parses the configured expressions; an empty one leaves its kind unscheduled. */
export function parseSchedules(crons: Partial<Record<BackupKind, string>>): {
  schedules: Partial<Record<BackupKind, CronSchedule>>;
  errors: LifeboatError[];
} {
  const schedules: Partial<Record<BackupKind, CronSchedule>> = {};
  const errors: LifeboatError[] = [];
  for (const kind of SCHEDULE_KINDS) {
    const text = crons[kind];
    if (text === undefined || !text.trim()) continue;
    try {
      schedules[kind] = parseCron(text, `lifeboat.schedule.${kind}`);
    } catch (err) {
      errors.push(err as LifeboatError);
    }
  }
  return { schedules, errors };
}

export async function readScheduleState(backupDir: string): Promise<ScheduleState> {
  try {
    const parsed = JSON.parse(await fs.readFile(join(backupDir, SCHEDULE_STATE_FILE), 'utf8')) as ScheduleState;
    if (parsed && typeof parsed === 'object' && parsed.kinds && typeof parsed.kinds === 'object')
      return { formatVersion: 1, kinds: parsed.kinds };
  } catch {
    // Missing or unreadable: start afresh; the worst case is one catch-up run less.
  }
  return { formatVersion: 1, kinds: {} };
}

const later = (a: string | undefined, b: string | undefined): string | undefined => (!a ? b : !b ? a : a > b ? a : b);

/**
 * Runs backups on cron schedules while VS Code is open. Pure logic: clock, timers and the job
 * are injected. Each check reads the clock afresh, so a slept-through 02:00 runs once on wake
 * (not once per missed day), and a clock set back does not repeat a run. Windows sharing a
 * backup folder share a state file; a run holds the schedule lock from re-reading that file
 * to writing its result, so a due time runs in one window only.
 */
export class Scheduler {
  private readonly clock: SchedulerClock;
  private readonly tickMs: number;
  private readonly log: Logger;
  private state: ScheduleState = { formatVersion: 1, kinds: {} };
  private timer: unknown;
  private stopped = true;
  private checking: Promise<void> | undefined;
  private checkAgain = false;
  private running: BackupKind | undefined;
  private readonly elsewhere = new Map<BackupKind, string>();
  private readonly changeListeners = new Set<() => void>();
  private readonly finishListeners = new Set<(kind: BackupKind, outcome: JobOutcome) => void>();

  constructor(private readonly opts: SchedulerOptions) {
    this.clock = opts.clock ?? systemClock;
    this.tickMs = opts.tickMs ?? 60_000;
    this.log = opts.logger ?? silentLogger;
  }

  get kinds(): BackupKind[] {
    return SCHEDULE_KINDS.filter((k) => this.opts.schedules[k]);
  }

  /** Loads the state, catches up a missed run of each kind (once), and arms the timer. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.check();
  }

  /** No more runs start; one in progress finishes (await `idle()` for it). */
  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    this.timer = undefined;
  }

  async idle(): Promise<void> {
    while (this.checking) await this.checking;
  }

  onDidChange(listener: () => void): { dispose(): void } {
    this.changeListeners.add(listener);
    return { dispose: () => this.changeListeners.delete(listener) };
  }

  onDidFinish(listener: (kind: BackupKind, outcome: JobOutcome) => void): { dispose(): void } {
    this.finishListeners.add(listener);
    return { dispose: () => this.finishListeners.delete(listener) };
  }

  status(): KindStatus[] {
    const now = this.clock.now();
    return this.kinds.map((kind) => {
      const s = this.opts.schedules[kind]!;
      const last = this.state.kinds[kind];
      // After the clock was set back a little, the run already done is not shown as next.
      const from = last?.lastDue && new Date(last.lastDue) > now ? new Date(last.lastDue) : now;
      return {
        kind,
        cron: s.source,
        zone: this.opts.zone,
        next: nextRun(s, from, this.opts.zone),
        last,
        running: this.running === kind,
        elsewhere: this.elsewhere.get(kind),
      };
    });
  }

  /** Runs every kind whose due time has passed unrun; serialised, and re-entrant calls coalesce. */
  check(): Promise<void> {
    if (this.checking) {
      this.checkAgain = true;
      return this.checking;
    }
    this.checking = (async () => {
      try {
        do {
          this.checkAgain = false;
          await this.checkOnce();
        } while (this.checkAgain && !this.stopped);
      } finally {
        this.checking = undefined;
        this.arm();
      }
    })();
    return this.checking;
  }

  /** "Retry": runs one kind now, whatever its schedule says. */
  async runNow(kind: BackupKind): Promise<JobOutcome | undefined> {
    await this.idle();
    const s = this.opts.schedules[kind];
    const now = this.clock.now();
    const due = (s && previousRun(s, now, this.opts.zone)) ?? now;
    let result: JobOutcome | undefined;
    this.checking = (async () => {
      try {
        result = await this.runKind(kind, due, true);
      } finally {
        this.checking = undefined;
        this.arm();
      }
    })();
    await this.checking;
    return result;
  }

  dispose(): void {
    this.stop();
    this.changeListeners.clear();
    this.finishListeners.clear();
  }

  private async checkOnce(): Promise<void> {
    this.state = mergeState(await readScheduleState(this.opts.backupDir), this.state);
    await this.settleBaselines();
    for (const kind of this.kinds) {
      if (this.stopped) return;
      const s = this.opts.schedules[kind]!;
      const due = previousRun(s, this.clock.now(), this.opts.zone);
      const st = this.state.kinds[kind] ?? {};
      const baseline = st.lastDue ?? st.since;
      if (!due || !baseline || due.toISOString() <= baseline) {
        this.elsewhere.delete(kind);
        continue;
      }
      await this.runKind(kind, due, false);
    }
  }

  /**
   * A kind seen for the first time starts now: enabling a schedule at noon does not run
   * the 02:00 backup at once. A baseline ahead of the clock by more than one period means the
   * clock was set back (or was wrong when the run happened): resume from now instead of
   * waiting for the clock to catch up.
   */
  private async settleBaselines(): Promise<void> {
    const now = this.clock.now();
    const fresh: BackupKind[] = [];
    const setBack: Partial<Record<BackupKind, string>> = {};
    for (const kind of this.kinds) {
      const s = this.opts.schedules[kind]!;
      const st = this.state.kinds[kind];
      if (!st?.since && !st?.lastDue) {
        fresh.push(kind);
        continue;
      }
      const baseline = later(st.lastDue, st.since)!;
      const next = nextRun(s, now, this.opts.zone);
      if (new Date(baseline) > now && next && next.toISOString() < baseline) {
        setBack[kind] = (previousRun(s, now, this.opts.zone) ?? now).toISOString();
        this.log.warn(
          `Schedule: the clock is behind the last ${kind} run (${baseline}); the schedule resumes from now (${now.toISOString()}).`,
        );
      }
    }
    if (fresh.length === 0 && Object.keys(setBack).length === 0) return;
    const apply = (state: ScheduleState) => {
      for (const kind of fresh) {
        const cur = state.kinds[kind];
        // Another window may have started this kind a moment ago: its baseline stands.
        if (!cur?.since && !cur?.lastDue) state.kinds[kind] = { ...cur, since: now.toISOString() };
      }
      for (const [kind, resume] of Object.entries(setBack) as [BackupKind, string][]) {
        const cur = state.kinds[kind] ?? {};
        state.kinds[kind] = { ...cur, since: resume, lastDue: cur.lastDue && cur.lastDue > resume ? resume : cur.lastDue };
      }
    };
    try {
      await this.withLock('schedule start', async () => {
        const latest = await readScheduleState(this.opts.backupDir);
        apply(latest);
        await this.writeState(latest);
        this.state = latest;
      });
    } catch (err) {
      // Locked: the other window's run writes the file; keep ours in memory until the next check.
      apply(this.state);
      if (!isLocked(err)) this.log.warn(`Schedule: could not write ${SCHEDULE_STATE_FILE}: ${(err as Error).message}`);
    }
  }

  private async runKind(kind: BackupKind, due: Date, manual: boolean): Promise<JobOutcome | undefined> {
    const dueIso = due.toISOString();
    let outcome: JobOutcome | undefined;
    try {
      await this.withLock(`scheduled ${kind} backup`, async () => {
        // Re-read under the lock: another window may have run this due time a moment ago.
        const fresh = await readScheduleState(this.opts.backupDir);
        const cur = fresh.kinds[kind] ?? {};
        this.state = fresh;
        if (!manual && cur.lastDue && cur.lastDue >= dueIso) {
          this.log.info(
            `Schedule: the ${kind} backup due ${dueIso} already ran (${cur.host === hostname() && cur.pid === process.pid ? 'here' : `in process ${cur.pid} on ${cur.host}`}).`,
          );
          this.elsewhere.delete(kind);
          this.emitChange();
          return;
        }
        this.running = kind;
        this.elsewhere.delete(kind);
        this.emitChange();
        const started = this.clock.now();
        this.log.info(
          `Schedule: ${manual ? 'running' : 'due'} ${kind} backup (${this.opts.schedules[kind]?.source ?? 'manual'}, due ${dueIso})`,
        );
        let causes: string[] = [];
        try {
          outcome = await this.opts.run(kind);
        } catch (err) {
          if (isLocked(err)) {
            // The backup's own lock: a click or a restore in some window. Not a failure;
            // the due time stays open and the next tick tries again.
            this.elsewhere.set(kind, (err as Error).message);
            this.log.info(`Schedule: ${kind} backup postponed: ${(err as Error).message}`);
            return;
          }
          const e = err as LifeboatError;
          outcome = { ok: false, summary: 'failed', problem: [e.message, e.hint].filter(Boolean).join(' ') };
          causes = causeLines(err);
        }
        const record: KindState = {
          since: cur.since,
          lastDue: later(cur.lastDue, dueIso),
          lastStart: started.toISOString(),
          lastEnd: this.clock.now().toISOString(),
          outcome: outcome.ok ? 'ok' : 'failed',
          summary: outcome.summary,
          problem: outcome.ok ? undefined : outcome.problem,
          host: hostname(),
          pid: process.pid,
        };
        const latest = await readScheduleState(this.opts.backupDir);
        latest.kinds[kind] = record;
        this.state = latest;
        try {
          await this.writeState(latest);
        } catch (err) {
          // This window remembers the run, so it does not repeat it onto a full disk every tick.
          this.log.error(`Schedule: could not record the ${kind} run in ${SCHEDULE_STATE_FILE}: ${(err as Error).message}`);
        }
        if (outcome.ok) this.log.info(`Schedule: ${kind} backup done: ${outcome.summary}`);
        else this.log.error(`Schedule: ${kind} backup FAILED: ${outcome.problem ?? outcome.summary}`);
        for (const line of causes) this.log.error(line);
      });
    } catch (err) {
      if (!isLocked(err)) throw err;
      // Another window is running a scheduled job now; it writes the state. Look again next tick.
      this.elsewhere.set(kind, (err as Error).message);
      this.log.info(`Schedule: ${kind} backup due ${dueIso} left to the other window: ${(err as Error).message}`);
    } finally {
      this.running = undefined;
      this.emitChange();
    }
    if (outcome) for (const l of this.finishListeners) l(kind, outcome);
    return outcome;
  }

  private async withLock<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    await ensurePrivateDir(this.opts.backupDir);
    const lock = await acquireLock(this.opts.backupDir, SCHEDULE_LOCK, operation);
    try {
      return await fn();
    } finally {
      await lock.release();
    }
  }

  private async writeState(state: ScheduleState): Promise<void> {
    await writeFileAtomic(join(this.opts.backupDir, SCHEDULE_STATE_FILE), `${JSON.stringify(state, null, 2)}\n`);
  }

  private arm(): void {
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    this.timer = undefined;
    if (this.stopped || this.kinds.length === 0) return;
    const now = this.clock.now().getTime();
    let wait = this.tickMs;
    for (const st of this.status()) {
      if (st.next) wait = Math.min(wait, Math.max(0, st.next.getTime() - now));
    }
    // A moment past the due minute, so the check's previousRun sees it.
    this.timer = this.clock.setTimer(
      () => void this.check().catch((err) => this.log.error(`Schedule: ${(err as Error).message}`)),
      wait + 50,
    );
  }

  private emitChange(): void {
    for (const l of this.changeListeners) l();
  }
}

/**
 * The file's state, except where this window knows better: a run it could not record (a full
 * disk) or a baseline it could not write (the lock was busy) is not forgotten at the next check.
 */
function mergeState(disk: ScheduleState, memory: ScheduleState): ScheduleState {
  for (const kind of SCHEDULE_KINDS) {
    const mine = memory.kinds[kind];
    const theirs = disk.kinds[kind];
    if (!mine) continue;
    if (!theirs || (mine.lastDue && (!theirs.lastDue || mine.lastDue > theirs.lastDue)) || (!theirs.lastDue && !theirs.since))
      disk.kinds[kind] = mine;
  }
  return disk;
}

function isLocked(err: unknown): boolean {
  return err instanceof LockedError;
}
