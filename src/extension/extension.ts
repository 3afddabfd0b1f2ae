import * as vscode from 'vscode';
import { LifeboatError } from '../core/common';
import { cleanupLogLine } from '../core/reports';
import { pruneKind } from '../core/retention';
import { BackupCatalog } from './backupCatalog';
import { registerCommands } from './commands/registry';
import { commandErrors } from './commands/runCommand';
import type { Lifeboat } from './lifeboat';
import { copyNewBackup } from './copyNewBackup';
import { encryptNewBackup } from './encryptNewBackup';
import { offerToStartLeftStopped } from './leftStoppedNotice';
import { OutputLogger } from './outputLogger';
import { Prompter, vscodePrompter } from './ui/prompter';
import { ScheduleService } from './scheduleService';
import { Settings } from './settings';
import { registerReportDocuments } from './ui/showMarkdown';
import { StackService } from './stackService';
import { offsiteOptions } from './offsiteOptions';
import { secretScope } from './savedSecrets';
import { BackupStatusBar } from './statusBar';
import { BackupsHeader } from './tree/backupsHeader';
import { BackupsTree } from './tree/backupsTree';

/** What activate() returns; extension-host tests use it, users never see it. */
export interface LifeboatApi {
  lastError(): Error | undefined;
  /** The notification text of that error, as shown. */
  lastErrorText(): string | undefined;
  /** Replaces some of the questions (tests answer modals through this); undefined restores VS Code's. */
  setPrompter(prompter: Partial<Prompter> | undefined): void;
  readonly tree: BackupsTree;
  readonly header: BackupsHeader;
  readonly statusBar: BackupStatusBar;
  readonly schedule: ScheduleService;
  /** The start-up look for containers an interrupted operation left stopped (tests run it again); how many warnings it showed. */
  checkLeftStopped(): Promise<number>;
}

/**
 * Activation wires things up and returns: no Docker call and no disk read happen here. The
 * tree loads when the view is shown; the status bar a moment after start-up.
 */
export function activate(context: vscode.ExtensionContext): LifeboatApi {
  const log = new OutputLogger();
  const stacks = new StackService();
  const catalog = new BackupCatalog(stacks, log, () =>
    offsiteOptions({
      secrets: context.secrets,
      identityFile: stacks.settings.offsiteSftpIdentityFile,
      s3: stacks.settings.offsiteS3,
      scope: secretScope(stacks.folder),
      log,
    }),
  );
  const tree = new BackupsTree(catalog, stacks);
  const statusBar = new BackupStatusBar(catalog, () => stacks.settings.maxAgeHours);
  const view = vscode.window.createTreeView('lifeboat.backups', { treeDataProvider: tree });
  const header = new BackupsHeader(view, catalog, stacks);
  stacks.onEngine = (engine) => log.info(`Docker engine: ${engine}`);
  tree.onState = (_state, engineProblem) => {
    header.engineProblem = engineProblem;
  };
  const schedule = new ScheduleService(stacks, catalog, log);
  // A scheduled run thins out its own kind, and only after its new backup was made and verified.
  schedule.prune = async (kind) => {
    const s = stacks.settings;
    const r = await pruneKind(s.backupDirectory, s.retention, kind, { lockName: await s.projectName(), logger: log });
    if (r.removed.length) log.info(cleanupLogLine(kind, r.removed.length, r.freedBytes));
    if (r.failures.length)
      throw new LifeboatError(`Could not delete ${r.failures.map((f) => f.path).join(', ')}.`, 'See the Lifeboat log.');
  };
  tree.schedules = () => schedule.status();
  statusBar.schedules = () => schedule.status();
  header.schedules = () =>
    (schedule.status() ?? []).map((x) => ({
      kind: x.kind,
      cron: x.cron,
      next: x.next?.toISOString(),
      last: x.last?.lastStart,
      lastOk: x.last?.outcome ? x.last.outcome === 'ok' : undefined,
    }));
  const lb: Lifeboat = { context, log, stacks, catalog, tree, header, statusBar, schedule, prompter: vscodePrompter };
  // A scheduled backup is encrypted and copied off-site like one made by a click
  // (lifeboat.encryption.encryptNewBackups, lifeboat.offsite.copyNewBackups).
  schedule.afterVerify = async (file) => await copyNewBackup(lb, (await encryptNewBackup(lb, file)).path);

  context.subscriptions.push(
    registerReportDocuments(),
    log,
    catalog,
    tree,
    statusBar,
    view,
    header,
    // The header's figures come with the tree: only once the view is shown.
    view.onDidChangeVisibility((e) => e.visible && void header.refresh().catch(() => undefined)),
    schedule,
    schedule.onDidChange(() => {
      tree.redraw();
      void statusBar.update();
    }),
    Settings.onDidChange(() => {
      stacks.forgetEngine();
      catalog.invalidate();
      void schedule.reload();
    }),
    vscode.workspace.onDidChangeWorkspaceFolders(() => catalog.invalidate()),
  );
  registerCommands(lb);

  // The schedule reads its state file: after start-up too, never during activation.
  const deferred = setTimeout(() => {
    void statusBar.update();
    void schedule.reload();
    void offerToStartLeftStopped(lb);
  }, 1500);
  context.subscriptions.push({ dispose: () => clearTimeout(deferred) });

  return {
    lastError: () => commandErrors.last,
    lastErrorText: () => commandErrors.text,
    setPrompter: (p) => {
      lb.prompter = { ...vscodePrompter, ...p };
    },
    tree,
    header,
    statusBar,
    schedule,
    checkLeftStopped: () => offerToStartLeftStopped(lb),
  };
}

export function deactivate(): void {}
