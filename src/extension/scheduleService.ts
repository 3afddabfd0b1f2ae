import * as vscode from 'vscode';
import { causeLines } from '../core/common';
import type { BackupKind } from '../core/store';
import { stackBackup, stackBackupOptions, stackVerify } from '../core/jobs';
import { scheduledJob, JobOutcome, KindStatus, Scheduler, SchedulerClock, parseSchedules } from '../core/schedule';
import type { BackupCatalog } from './backupCatalog';
import type { OutputLogger } from './outputLogger';
import type { StackService } from './stackService';

/**
 * The workspace's backup schedule (`lifeboat.schedule.*`) in the extension host: a core
 * Scheduler whose job is the real backup → verify → prune, started when enabled, rebuilt
 * when settings change, stopped on deactivation. Failures become notifications with
 * "Show Log" and "Retry"; an invalid cron expression one with "Open Settings".
 */
export class ScheduleService implements vscode.Disposable {
  private scheduler: Scheduler | undefined;
  private subscriptions: { dispose(): void }[] = [];
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private reported = new Set<string>();
  /** The retention step of a scheduled run; set by whoever owns retention. */
  prune: ((kind: BackupKind) => Promise<void>) | undefined;
  /** Runs for each new backup once verified, before pruning (encryption of new backups). */
  afterVerify: ((path: string) => Promise<void>) | undefined;
  /** Shows an error with actions and resolves to the one clicked; tests answer it. */
  notify: (message: string, ...actions: string[]) => Thenable<string | undefined> = (message, ...actions) =>
    vscode.window.showErrorMessage(message, ...actions);
  /** Tests replace the clock (the wall clock and timers). */
  clock: SchedulerClock | undefined;
  /** Errors shown by the last reload (invalid expressions); read by tests. */
  lastErrors: string[] = [];

  constructor(
    private readonly stacks: StackService,
    private readonly catalog: BackupCatalog,
    private readonly log: OutputLogger,
  ) {}

  get enabled(): boolean {
    return this.scheduler !== undefined;
  }

  /** Next and last run per scheduled kind; undefined while schedules are off. */
  status(): KindStatus[] | undefined {
    return this.scheduler?.status();
  }

  /** (Re)reads the settings and starts the schedule when it is enabled. */
  async reload(): Promise<void> {
    this.stopScheduler();
    const settings = this.stacks.settings;
    const config = settings.schedule;
    if (!config.enabled || !this.stacks.folder) {
      this.lastErrors = [];
      this.reported.clear();
      this.changed.fire();
      return;
    }
    const { schedules, errors } = parseSchedules(config.crons);
    this.lastErrors = errors.map((e) => e.message);
    this.reported = new Set([...this.reported].filter((m) => this.lastErrors.includes(m)));
    for (const e of errors) this.reportInvalid(e.message, e.hint);
    const backupDir = settings.backupDirectory;
    // Found again for each run (containers come and go between 02:00s), with Docker pinged first.
    const parts = { ...stackBackupOptions(settings, this.stacks.engine, { logger: this.log }), stack: () => this.stacks.discover() };
    const job = scheduledJob({
      depth: settings.verifyOnCreate,
      logger: this.log,
      backup: stackBackup(parts),
      verify: stackVerify(parts),
      prune: (kind) => (this.prune ? this.prune(kind) : Promise.resolve()),
      afterVerify: (path) => (this.afterVerify ? this.afterVerify(path) : Promise.resolve()),
    });
    const scheduler = new Scheduler({ backupDir, schedules, zone: config.zone, run: job, clock: this.clock, logger: this.log });
    if (scheduler.kinds.length === 0) {
      this.changed.fire();
      return;
    }
    this.scheduler = scheduler;
    this.subscriptions.push(
      scheduler.onDidChange(() => this.changed.fire()),
      scheduler.onDidFinish((kind, outcome) => this.finished(kind, outcome)),
    );
    this.log.info(
      `Schedule on (${config.zone}): ${scheduler.kinds.map((k) => `${k} "${schedules[k]!.source}"`).join(', ')}; backups in ${backupDir}`,
    );
    try {
      await scheduler.start();
    } catch (err) {
      this.log.error(`Schedule: ${(err as Error).message}`);
      for (const line of causeLines(err)) this.log.error(line);
    }
    this.changed.fire();
  }

  /** "Retry" of a failed run. */
  async retry(kind: BackupKind): Promise<JobOutcome | undefined> {
    return this.scheduler?.runNow(kind);
  }

  /** Waits for a run in progress; tests use it. */
  async idle(): Promise<void> {
    await this.scheduler?.idle();
  }

  private finished(kind: BackupKind, outcome: JobOutcome): void {
    this.catalog.invalidate();
    if (outcome.ok) return;
    void this.notify(`Lifeboat: the scheduled ${kind} backup failed. ${outcome.problem ?? outcome.summary}`, 'Show Log', 'Retry').then(
      (pick) => {
        if (pick === 'Show Log') this.log.show();
        if (pick === 'Retry') void this.retry(kind);
      },
    );
  }

  /** Once per distinct message, so each settings change does not repeat an old complaint. */
  private reportInvalid(message: string, hint: string | undefined): void {
    this.log.error(`${message} ${hint ?? ''}`);
    if (this.reported.has(message)) return;
    this.reported.add(message);
    void this.notify(`Lifeboat: ${message} That schedule is off until it is fixed.`, 'Open Settings').then((pick) => {
      if (pick) void vscode.commands.executeCommand('workbench.action.openSettings', 'lifeboat.schedule');
    });
  }

  /**
   * No new runs start; a run in progress finishes and still reports (its failure notice, the
   * tree's refresh) before the old scheduler lets go of its listeners.
   */
  private stopScheduler(): void {
    const old = this.scheduler;
    const subscriptions = this.subscriptions;
    this.scheduler = undefined;
    this.subscriptions = [];
    if (!old) return;
    old.stop();
    void old.idle().finally(() => {
      for (const s of subscriptions) s.dispose();
      old.dispose();
    });
  }

  dispose(): void {
    this.stopScheduler();
    this.changed.dispose();
  }
}
