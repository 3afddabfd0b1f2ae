import * as vscode from 'vscode';
import { formatAge, freshness } from '../core/common';
import { scheduleLines } from '../core/schedule';
import type { KindStatus } from '../core/schedule';
import type { BackupCatalog } from './backupCatalog';

/** Age of the newest database backup, coloured by the runbook's 24-hour freshness rule. */
export class BackupStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('lifeboat.status', vscode.StatusBarAlignment.Left, 10);
  private readonly timer: NodeJS.Timeout;
  private readonly subscription: vscode.Disposable;

  constructor(
    private readonly catalog: BackupCatalog,
    private readonly maxAgeHours: () => number = () => 24,
  ) {
    this.item.name = 'Lifeboat Backups';
    this.item.command = 'workbench.view.extension.lifeboat';
    this.subscription = catalog.onDidChange(() => void this.update());
    // Ages move on even when no file changes.
    this.timer = setInterval(() => void this.update(), 60_000);
  }

  /** Next and last scheduled runs per kind; filled in by the schedule service. */
  schedules: () => KindStatus[] | undefined = () => undefined;

  /** The item as shown; read by tests. */
  get shown(): { text: string; tooltip: string; background?: string } {
    return {
      text: this.item.text,
      tooltip: String(this.item.tooltip ?? ''),
      background: this.item.backgroundColor instanceof vscode.ThemeColor ? this.item.backgroundColor.id : undefined,
    };
  }

  async update(): Promise<void> {
    const entries = await this.catalog.get();
    const newest = entries.find((e) => e.kind === 'database');
    const now = new Date();
    const limit = this.maxAgeHours();
    const state = freshness(newest?.createdAt, limit, now);
    this.item.text = newest ? `$(database) ${formatAge(newest.createdAt, now)}` : '$(database) No backup';
    this.item.tooltip = newest
      ? `Newest database backup: ${newest.fileName}, ${formatAge(newest.createdAt, now)}${state === 'fresh' ? '' : ` (older than ${limit} h)`}.`
      : 'No database backup yet. Click to open the Backups view.';
    const schedules = this.schedules() ?? [];
    if (schedules.length) this.item.tooltip += `\n\n${schedules.map((x) => scheduleLines(x, now).join('\n')).join('\n\n')}`;
    this.item.backgroundColor =
      state === 'fresh'
        ? undefined
        : new vscode.ThemeColor(state === 'stale' ? 'statusBarItem.warningBackground' : 'statusBarItem.errorBackground');
    this.item.show();
  }

  dispose(): void {
    clearInterval(this.timer);
    this.subscription.dispose();
    this.item.dispose();
  }
}
