import * as vscode from 'vscode';
import type { Lifeboat } from '../lifeboat';

export async function openSettings(_lb: Lifeboat): Promise<void> {
  await vscode.commands.executeCommand('workbench.action.openSettings', '@ext:lifeboat-dev.lifeboat');
}
