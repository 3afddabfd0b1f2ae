import * as vscode from 'vscode';
import { backupTarget } from './backupTarget';
import type { Lifeboat } from '../lifeboat';

export async function revealBackup(_lb: Lifeboat, arg?: unknown): Promise<void> {
  await vscode.commands.executeCommand('revealFileInOS', backupTarget(arg));
}
