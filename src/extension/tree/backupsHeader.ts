import * as vscode from 'vscode';
import { diskSpace } from '../../core/diskSpace';
import { describeBackupCount } from '../../core/backupTotals';
import { formatBytes } from '../../core/format';
import { ScheduleStatus, StatusReport, buildStatusReport } from '../../core/statusReport';
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
    this.view.message = low
      ? `⚠ Low disk space: ${formatBytes(low.freeBytes)} free where the backups are (below ${formatBytes(low.minFreeBytes)}). Preview Cleanup frees space safely.`
      : report.count
        ? totals
        : undefined;
    if (low && !this.warnedLow) {
      this.warnedLow = true;
      void vscode.window
        .showWarningMessage(
          `Low disk space for backups: ${formatBytes(low.freeBytes)} free in ${backupDir} (lifeboat.storage.minFreeMB is ${formatBytes(low.minFreeBytes)}). New backups may not fit.`,
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

  dispose(): void {
    this.subscription.dispose();
  }
}
