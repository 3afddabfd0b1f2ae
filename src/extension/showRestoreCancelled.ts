import * as vscode from 'vscode';

/**
 * A restore stopped by the user (at its modal, its typed name, its review or its progress
 * notification) says so, in one voice for every kind: what was cancelled, then the state it
 * left. Silence would leave the user guessing whether half a restore happened. Picking no
 * backup at all starts nothing, so that stays silent. Resolves the command's "nothing done".
 */
export function showRestoreCancelled(what: string, state: string): undefined {
  void vscode.window.showInformationMessage(`${what} cancelled. ${state}`);
  return undefined;
}
