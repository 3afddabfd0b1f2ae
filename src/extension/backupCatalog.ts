import * as vscode from 'vscode';
import { BackupEntry, listBackups } from '../core/catalog';
import type { Logger } from '../core/logger';
import type { StackService } from './stackService';

/**
 * The backups on disk, read once and shared by the tree and the status bar. Reloads on file
 * changes in the backup folder (debounced: a backup writes its file, then its manifest).
 */
export class BackupCatalog implements vscode.Disposable {
  private entries: BackupEntry[] | undefined;
  private loading: Promise<BackupEntry[]> | undefined;
  private watcher: vscode.FileSystemWatcher | undefined;
  private watchedDir: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;

  constructor(private readonly stacks: StackService, private readonly log: Logger) {}

  get backupDir(): string {
    return this.stacks.settings.backupDirectory;
  }

  /** Cached entries, loading them the first time. */
  async get(): Promise<BackupEntry[]> {
    if (this.entries) return this.entries;
    return this.load();
  }

  load(): Promise<BackupEntry[]> {
    this.loading ??= (async () => {
      try {
        this.watch();
        this.entries = await listBackups(this.backupDir);
        return this.entries;
      } catch (err) {
        this.log.error(`Cannot list backups in ${this.backupDir}: ${(err as Error).message}`);
        this.entries = [];
        return this.entries;
      } finally {
        this.loading = undefined;
      }
    })();
    return this.loading;
  }

  /** Forget the cache and tell listeners; they reload when they next ask. */
  invalidate(): void {
    this.entries = undefined;
    this.changed.fire();
  }

  private watch(): void {
    const dir = this.backupDir;
    if (this.watchedDir === dir) return;
    this.watcher?.dispose();
    this.watchedDir = dir;
    this.watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(dir), '**/*'));
    const soon = () => {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.invalidate(), 300);
    };
    this.watcher.onDidCreate(soon);
    this.watcher.onDidChange(soon);
    this.watcher.onDidDelete(soon);
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.watcher?.dispose();
    this.changed.dispose();
  }
}
