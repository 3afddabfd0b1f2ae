import type * as vscode from 'vscode';
import type { BackupCatalog } from './backupCatalog';
import type { OutputLogger } from './outputLogger';
import type { Prompter } from './ui/prompter';
import type { ScheduleService } from './scheduleService';
import type { StackService } from './stackService';
import type { BackupStatusBar } from './statusBar';
import type { BackupsHeader } from './tree/backupsHeader';
import type { BackupsTree } from './tree/backupsTree';

/** What every command gets: the services of one extension instance. */
export interface Lifeboat {
  context: vscode.ExtensionContext;
  log: OutputLogger;
  stacks: StackService;
  catalog: BackupCatalog;
  tree: BackupsTree;
  header: BackupsHeader;
  statusBar: BackupStatusBar;
  schedule: ScheduleService;
  prompter: Prompter;
}
