import * as vscode from 'vscode';
import { liveLocks, withEncryptedCopies, type BackupEntry } from '../../core/store';
import type { BackupKind } from '../../core/store';
import { pingDocker } from '../../core/docker';
import { NoStackError, Stack } from '../../core/stack';
import { SideDatabase, listSideDatabases } from '../../core/database';
import { DockerUnavailableError, formatCount, formatWhen } from '../../core/common';
import { scheduleDescription, scheduleLines } from '../../core/schedule';
import type { KindStatus } from '../../core/schedule';
import type { BackupCatalog } from '../backupCatalog';
import type { StackService } from '../stackService';
import { BackupItem } from './backupItem';
import { SideDatabaseItem } from './sideDatabaseItem';
import { OffsiteBackupItem, OffsiteGroupItem, isLocal } from './offsiteItem';

export type ViewState = 'dockerDown' | 'noStack' | 'empty' | 'ready';

const GROUPS: { kind: BackupKind; label: string; icon: string; empty: string }[] = [
  { kind: 'database', label: 'Database', icon: 'database', empty: 'No database backups yet' },
  { kind: 'config', label: 'Config', icon: 'settings-gear', empty: 'No config archives yet' },
  { kind: 'volume', label: 'Volumes', icon: 'archive', empty: 'No volume snapshots yet' },
];

class GroupItem extends vscode.TreeItem {
  constructor(
    readonly kind: BackupKind,
    label: string,
    icon: string,
    readonly entries: BackupEntry[],
    schedule?: KindStatus,
    engine?: string,
  ) {
    super(label, vscode.TreeItemCollapsibleState.Expanded);
    this.id = `group.${kind}`;
    this.description = schedule ? `${formatCount(entries.length)} · ${scheduleDescription(schedule)}` : formatCount(entries.length);
    const lines = schedule ? scheduleLines(schedule, new Date()) : [];
    if (engine) lines.push(`Docker engine: ${engine}`);
    if (lines.length) this.tooltip = lines.join('\n');
    this.iconPath = new vscode.ThemeIcon(icon);
    this.contextValue = `group.${kind}`;
  }
}

class NoticeItem extends vscode.TreeItem {
  constructor(id: string, label: string, icon: string, tooltip?: string, command?: vscode.Command) {
    super(label, vscode.TreeItemCollapsibleState.None);
    this.id = id;
    this.iconPath = new vscode.ThemeIcon(icon);
    this.tooltip = tooltip;
    this.command = command;
    this.contextValue = 'notice';
  }
}

function engineActions(problem: string | undefined): NoticeItem[] {
  return [
    new NoticeItem(
      'notice.engine.retry',
      'Retry',
      'refresh',
      'Look for the engine again (after starting it or switching with docker context use).',
      {
        command: 'lifeboat.refresh',
        title: 'Retry',
      },
    ),
    new NoticeItem(
      'notice.engine.choose',
      'Choose the Docker Engine…',
      'settings-gear',
      `${problem ?? ''}\nEmpty: as the Docker CLI chooses (DOCKER_HOST, DOCKER_CONTEXT, the current context, then the default socket).`.trim(),
      {
        command: 'workbench.action.openSettings',
        title: 'Choose the Docker Engine',
        arguments: ['lifeboat.docker.host'],
      },
    ),
    new NoticeItem('notice.engine.log', 'Show Log', 'output', 'The engine Lifeboat chose, and why, is in the log.', {
      command: 'lifeboat.showLog',
      title: 'Show Log',
    }),
  ];
}

class SideGroupItem extends vscode.TreeItem {
  /** `busy`: a restore or verify holds a lock now, so a scratch copy may be its own dry run. */
  constructor(
    readonly items: SideDatabaseItem[],
    readonly busy: boolean,
  ) {
    super('Database copies', vscode.TreeItemCollapsibleState.Expanded);
    this.id = 'group.sidedb';
    this.description = formatCount(items.length);
    this.iconPath = new vscode.ThemeIcon('history');
    this.contextValue = 'group.sidedb';
    this.tooltip = 'Databases kept beside the live one by restores: swap one back, or drop it when you are sure.';
  }
}

type Node = GroupItem | BackupItem | NoticeItem | SideGroupItem | SideDatabaseItem | OffsiteGroupItem | OffsiteBackupItem;

/**
 * The "Backups" view. With no backups it returns nothing so the matching welcome view shows
 * (Docker down, no stack, or simply none yet); the state goes into the `lifeboat.state` key.
 */
export class BackupsTree implements vscode.TreeDataProvider<Node>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly subscription: vscode.Disposable;

  constructor(
    private readonly catalog: BackupCatalog,
    private readonly stacks: StackService,
  ) {
    this.subscription = catalog.onDidChange(() => this.changed.fire(undefined));
  }

  getTreeItem(node: Node): vscode.TreeItem {
    return node;
  }

  async getChildren(node?: Node): Promise<Node[]> {
    if (node instanceof SideGroupItem) {
      const scratch = node.items.filter((i) => i.side.kind === 'restore' || i.side.kind === 'verify');
      if (!scratch.length) return node.items;
      // Leftovers of interrupted runs, with the action that clears them all after a modal.
      const n = scratch.length;
      if (node.busy) {
        // Shown mid-restore (the download of Restore from Off-site refreshes the view): calling
        // the running dry run's copy a leftover would invite dropping it.
        return [
          new NoticeItem(
            'notice.scratch.busy',
            `${n} scratch database${n === 1 ? '' : 's'}: a restore or verify is running`,
            'sync',
            'A running dry run or test restore loads into a scratch copy and drops it when it ends. Any left over after it are offered for dropping then.',
          ),
          ...node.items,
        ];
      }
      return [
        new NoticeItem(
          'notice.scratch',
          `${n} scratch database${n === 1 ? '' : 's'} left by interrupted dry runs: Drop…`,
          'trash',
          'Copies only, left by dry runs or test restores that were stopped (a closed window, kill -9). Dropping them never touches the live database or a pre-restore copy.',
          { command: 'lifeboat.dropScratchDatabases', title: 'Drop Scratch Databases…' },
        ),
        ...node.items,
      ];
    }
    if (node instanceof OffsiteGroupItem) {
      if (node.state.problem) {
        const notice = new NoticeItem('notice.offsite', node.state.problem, 'warning', node.state.where);
        if (node.state.problemStep !== 's3-keys') return [notice];
        return [
          notice,
          new NoticeItem(
            'notice.offsite.keys',
            'Set S3 Keys…',
            'key',
            'Type keys for this destination; they are checked, then kept in the OS keychain.',
            {
              command: 'lifeboat.setS3Keys',
              title: 'Set S3 Keys…',
            },
          ),
        ];
      }
      return node.items.length ? node.items : [new NoticeItem('empty.offsite', 'No backups off-site yet', 'info', node.state.where)];
    }
    if (node instanceof GroupItem) {
      if (node.entries.length === 0) {
        return [new NoticeItem(`empty.${node.kind}`, GROUPS.find((g) => g.kind === node.kind)!.empty, 'info')];
      }
      const now = new Date();
      const rows = withEncryptedCopies(node.entries);
      const minutes = new Map<string, number>();
      const minute = (e: BackupEntry) => formatWhen(e.createdAt, now);
      for (const { entry, original } of rows) if (!original) minutes.set(minute(entry), (minutes.get(minute(entry)) ?? 0) + 1);
      const offsite = await this.catalog.offsite();
      return rows.map(({ entry, original }) => new BackupItem(entry, now, original, (minutes.get(minute(entry)) ?? 0) > 1, offsite));
    }
    if (node) return [];

    const entries = await this.catalog.get();
    this.engineProblem = undefined;
    const { problem: dockerProblem, stack } = await this.findStack();
    const sides = stack ? await this.sideDatabases(stack) : [];
    const schedules = this.schedules() ?? [];
    const offsite = await this.catalog.offsite();
    // With a schedule on, the groups stay visible to show when the first backups will come; with
    // backups off-site (a new machine after a disk loss), to restore from them.
    if (entries.length === 0 && sides.length === 0 && schedules.length === 0 && !offsite?.backups.length) {
      await this.setState(dockerProblem ?? 'empty');
      // The view's message names the engine and how it was chosen; VS Code hides welcome
      // content while a message shows, so the ways out are items here.
      return dockerProblem === 'dockerDown' ? engineActions(this.engineProblem) : [];
    }
    await this.setState('ready');
    const roots: Node[] = [];
    if (dockerProblem === 'dockerDown') {
      roots.push(
        new NoticeItem(
          'notice.docker',
          'Docker engine not reachable',
          'warning',
          `${this.engineProblem ?? 'The Docker engine cannot be reached.'} Backups and restores need it: start it, then refresh.`,
          {
            command: 'lifeboat.refresh',
            title: 'Refresh',
          },
        ),
      );
    }
    for (const g of GROUPS) {
      roots.push(
        new GroupItem(
          g.kind,
          g.label,
          g.icon,
          entries.filter((e) => e.kind === g.kind),
          schedules.find((x) => x.kind === g.kind),
          this.stacks.engineDescription,
        ),
      );
    }
    if (sides.length && stack) {
      const busy = (await liveLocks(this.stacks.settings.backupDirectory)).length > 0;
      roots.push(
        new SideGroupItem(
          sides.map((d) => new SideDatabaseItem(d, stack.db.database)),
          busy,
        ),
      );
    }
    if (offsite) {
      const localNames = new Set(entries.map((e) => e.fileName));
      const now = new Date();
      roots.push(
        new OffsiteGroupItem(
          offsite,
          offsite.backups.map((b) => new OffsiteBackupItem(b, offsite.where, isLocal(b, localNames), now)),
        ),
      );
    }
    return roots;
  }

  /** Next and last scheduled runs per kind; filled in by the schedule service. */
  schedules: () => KindStatus[] | undefined = () => undefined;

  /** Shows new schedule times without reading the backups again. */
  redraw(): void {
    this.changed.fire(undefined);
  }

  refresh(): void {
    // A `docker context use` or a started engine since the last look is picked up here.
    this.stacks.forgetEngine();
    this.catalog.invalidate();
  }

  private async findStack(): Promise<{ problem?: ViewState; stack?: Stack }> {
    try {
      return { stack: await this.stacks.discover() };
    } catch (err) {
      if (err instanceof DockerUnavailableError) return this.engineDown(err);
      if (err instanceof NoStackError) return { problem: 'noStack' };
      try {
        await pingDocker(this.stacks.engine);
        return { problem: 'noStack' };
      } catch (pingErr) {
        return this.engineDown(pingErr);
      }
    }
  }

  /** Side databases need the server; a stopped database container simply shows none. */
  private async sideDatabases(stack: Stack): Promise<SideDatabase[]> {
    if (stack.db.state !== 'running') return [];
    try {
      return await listSideDatabases(
        { container: this.stacks.engine.getContainer(stack.db.id), user: stack.db.user, database: stack.db.database },
        stack.db.database,
      );
    } catch {
      return [];
    }
  }

  /** What the view shows when it has no items; read by tests. */
  state: ViewState | undefined;

  private engineDown(err: unknown): { problem: ViewState } {
    this.engineProblem = err instanceof Error ? err.message : String(err);
    return { problem: 'dockerDown' };
  }

  /** Which engine could not be reached and how it was chosen, while the state is dockerDown. */
  engineProblem: string | undefined;

  /** Told of every state, with the engine problem when there is one (the view shows it as its message). */
  onState: (state: ViewState, engineProblem: string | undefined) => void = () => undefined;

  private async setState(state: ViewState): Promise<void> {
    this.state = state;
    this.onState(state, this.engineProblem);
    await vscode.commands.executeCommand('setContext', 'lifeboat.state', state);
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}
