import { homedir } from 'node:os';
import * as vscode from 'vscode';
import { diskSpace, describeBackupCount } from '../../core/store';
import { formatBytes, shortenPaths } from '../../core/common';
import { quote, ScheduleStatus, StatusReport, buildStatusReport } from '../../core/reports';
import { offsiteCopyOf } from '../../core/offsite';
import type { BackupCatalog } from '../backupCatalog';
import type { StackService } from '../stackService';

/**
 * The Backups view's header: totals and free space in its description, and the runbook's
 * "Storage full" warning as its message and, once per drop below the limit, a notification
 * with the cleanup preview one click away.
 */
export class BackupsHeader implements vscode.Disposable {
  private readonly subscription: vscode.Disposable;
  private warnedLow = false;
  private last: StatusReport | undefined;
  /** Filled in by the scheduler when schedules are on. */
  schedules: () => ScheduleStatus[] = () => [];

  constructor(
    private readonly view: vscode.TreeView<unknown>,
    private readonly catalog: BackupCatalog,
    private readonly stacks: StackService,
  ) {
    this.subscription = catalog.onDidChange(() => void this.refresh().catch(() => undefined));
  }

  /** The totals the header shows; tests read it. */
  text: string | undefined;

  /** The newest report; tests read it. */
  get report(): StatusReport | undefined {
    return this.last;
  }

  /** What the view shows above the tree; tests read it. */
  get message(): string | undefined {
    return this.view.message;
  }

  private statusMessage: string | undefined;
  private engineDown: string | undefined;

  /** An unreachable engine, named with how it was chosen, goes before everything else the header says. */
  set engineProblem(problem: string | undefined) {
    this.engineDown = problem;
    this.render();
  }

  private render(): void {
    this.view.message = this.engineDown ?? this.statusMessage;
  }

  async refresh(): Promise<StatusReport> {
    const settings = this.stacks.settings;
    const backupDir = settings.backupDirectory;
    const entries = await this.catalog.get();
    const report = buildStatusReport({
      backupDir,
      entries,
      now: new Date(),
      maxAgeHours: settings.maxAgeHours,
      disk: await diskSpace(backupDir),
      minFreeBytes: settings.minFreeBytes,
      schedules: this.schedules(),
    });
    this.last = report;
    const free = report.disk ? `${formatBytes(report.disk.freeBytes)} free` : '';
    const totals = report.count ? `${describeBackupCount(entries)} · ${formatBytes(report.totalBytes)}${free ? ` · ${free}` : ''}` : free;
    this.text = totals;
    // The description shows beside the view's name when it has a header of its own; the
    // message shows above the tree either way (a single view's header merges into the side bar's).
    this.view.description = totals;
    const low = report.disk?.low ? report.disk : undefined;
    // A series whose newest backup failed verification has no good copy: said before the totals.
    const failed =
      report.problems.find((p) => p.startsWith('the newest backup of')) ?? report.problems.find((p) => / failed verification /.test(p));
    const notOffsite = await this.newestVerifiedNotOffsite();
    this.statusMessage = low
      ? `⚠ Low disk space: ${formatBytes(low.freeBytes)} free where the backups are (below ${formatBytes(low.minFreeBytes)}). Preview Cleanup frees space safely.`
      : failed
        ? `⚠ ${failed.charAt(0).toUpperCase()}${failed.slice(1)}. Verify it again or make a new backup.`
        : notOffsite
          ? notOffsite
          : report.count
            ? totals
            : undefined;
    this.render();
    if (low && !this.warnedLow) {
      this.warnedLow = true;
      void vscode.window
        .showWarningMessage(
          `Low disk space for backups: ${formatBytes(low.freeBytes)} free in "${shortenPaths(backupDir, this.stacks.folder?.uri.fsPath, homedir())}" (lifeboat.storage.minFreeMB is ${formatBytes(low.minFreeBytes)}). New backups may not fit.`,
          'Preview Cleanup',
          'Open Settings',
        )
        .then((pick) => {
          if (pick === 'Preview Cleanup') void vscode.commands.executeCommand('lifeboat.cleanUp');
          if (pick === 'Open Settings') void vscode.commands.executeCommand('workbench.action.openSettings', 'lifeboat.storage.minFreeMB');
        });
    }
    if (!low) this.warnedLow = false;
    return report;
  }

  /**
   * Only when a destination is set: a warning when the newest verified database backup has no
   * off-site copy (or the destination cannot be read), since one lost disk would take it with the data.
   */
  private async newestVerifiedNotOffsite(): Promise<string | undefined> {
    const offsite = await this.catalog.offsite();
    if (!offsite) return undefined;
    const newest = (await this.catalog.get()).find((e) => e.kind === 'database' && e.state === 'verified');
    if (!newest) return undefined;
    if (offsite.problem) return `⚠ Off-site copies cannot be checked: ${offsite.problem}`;
    if (offsiteCopyOf(offsite, newest.fileName)) return undefined;
    return `⚠ The newest verified database backup, ${quote(newest.fileName)}, has no off-site copy. Run "Lifeboat: Copy Off-site" on it.`;
  }

  dispose(): void {
    this.subscription.dispose();
  }
}
