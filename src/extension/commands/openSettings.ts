import * as vscode from 'vscode';
import type { Lifeboat } from '../lifeboat';

/** Lifeboat's settings, or one of them when a walkthrough link names it ("lifeboat.offsite.destination"). */
export async function openSettings(_lb: Lifeboat, setting?: unknown): Promise<void> {
  const query = typeof setting === 'string' && /^lifeboat\.[\w.]+$/.test(setting) ? setting : '@ext:lifeboat-dev.lifeboat';
  await vscode.commands.executeCommand('workbench.action.openSettings', query);
}
