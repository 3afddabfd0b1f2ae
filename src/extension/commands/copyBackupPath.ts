import * as vscode from 'vscode';
import { backupTarget } from './backupTarget';
import type { Lifeboat } from '../lifeboat';

export async function copyBackupPath(_lb: Lifeboat, arg?: unknown): Promise<string> {
  const path = backupTarget(arg).fsPath;
  await vscode.env.clipboard.writeText(path);
  return path;
}
