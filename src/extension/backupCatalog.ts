import * as vscode from 'vscode';
import { BackupEntry, listBackups } from '../core/store';
import type { Logger } from '../core/common';
import { DestinationOptions, OffsiteState, parseDestination, readOffsiteStateWithin } from '../core/offsite';
import type { StackService } from './stackService';

/**
 * The backups on disk, read once and shared by the tree and the status bar. Reloads on file
 * changes in the backup folder (debounced: a backup writes its file, then its manifest).
 */
export class BackupCatalog implements vscode.Disposable {
  private entries: BackupEntry[] | undefined;
  private loading: Promise<BackupEntry[]> | undefined;
  private watcher: vscode.FileSystemWatcher | undefined;
  private generation = 0;
  private watchedDir: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;

  constructor(
    private readonly stacks: StackService,
    private readonly log: Logger,
    /** How the listing reaches the destination (an SFTP key, the keychain); it never asks anything. */
    private readonly offsiteOptions: () => DestinationOptions = () => ({}),
  ) {}

  get backupDir(): string {
    return this.stacks.settings.backupDirectory;
  }

  /** Cached entries, loading them the first time. */
  async get(): Promise<BackupEntry[]> {
    if (this.entries) return this.entries;
    return this.load();
  }

  load(): Promise<BackupEntry[]> {
    if (this.loading) return this.loading;
    // A listing that started before an invalidate may have missed the change: it is returned to
    // whoever asked for it, but not cached.
    const generation = this.generation;
    const loading = (async (): Promise<BackupEntry[]> => {
      let entries: BackupEntry[];
      try {
        this.watch();
        entries = await listBackups(this.backupDir);
      } catch (err) {
        this.log.error(`Cannot list backups in ${this.backupDir}: ${(err as Error).message}`);
        entries = [];
      } finally {
        // After an invalidate, `loading` is a newer listing's (or none): not ours to clear.
        if (generation === this.generation) this.loading = undefined;
      }
      if (generation === this.generation) this.entries = entries;
      return entries;
    })();
    this.loading = loading;
    return loading;
  }

  private offsiteState: Promise<OffsiteState | undefined> | undefined;

  /**
   * What the off-site destination holds, read once per listing like the folder; undefined when
   * no destination is set. A destination that cannot be read is a state with its problem; one
   * that has not answered after OFFSITE_VIEW_TIMEOUT_MS is "not reachable", so the view does not
   * wait on it, and its listing, left to finish, replaces that state when it ends.
   */
  offsite(): Promise<OffsiteState | undefined> {
    if (this.offsiteState) return this.offsiteState;
    const generation = this.generation;
    this.offsiteState = (async () => {
      try {
        const destination = parseDestination(this.stacks.settings.offsiteDestination, this.offsiteOptions());
        if (!destination) return undefined;
        return await readOffsiteStateWithin(destination, {
          late: (state) => {
            // A refresh since then lists again: this answer may be older than that one's.
            if (generation !== this.generation) return;
            this.log.info(
              `The listing of ${state.where} ended after the Backups view stopped waiting for it${state.problem ? ` (${state.problem})` : ''}; the view shows it now.`,
            );
            this.offsiteState = Promise.resolve(state);
            this.changed.fire();
          },
        });
      } catch (err) {
        return { where: 'the setting lifeboat.offsite.destination', copies: new Map(), backups: [], problem: (err as Error).message };
      }
    })();
    return this.offsiteState;
  }

  /** Forget the cache (and any listing under way) and tell listeners; they reload when they next ask. */
  invalidate(): void {
    this.generation++;
    this.entries = undefined;
    this.loading = undefined;
    this.offsiteState = undefined;
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
