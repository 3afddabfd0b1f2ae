import * as vscode from 'vscode';
import { LifeboatError } from '../../core/common';
import { BackupItem } from '../tree/backupItem';

/** The file a backup command acts on: a tree item, an Explorer URI, or a path (tests, links). */
export function backupTarget(arg: unknown): vscode.Uri {
  if (arg instanceof BackupItem) return vscode.Uri.file(arg.entry.path);
  if (arg instanceof vscode.Uri) return arg;
  if (typeof arg === 'string' && arg) return vscode.Uri.file(arg);
  throw new LifeboatError('No backup was chosen.', 'Run this command from a backup in the Backups view.');
}
