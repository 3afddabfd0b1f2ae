import * as vscode from 'vscode';
import { LifeboatSettings } from '../core/settings';

const SECTION = 'lifeboat';

/** `lifeboat.*` from VS Code's configuration for one workspace folder; the getters live in core. */
export class Settings extends LifeboatSettings {
  constructor(folder: vscode.WorkspaceFolder | undefined) {
    super({ get: <T>(key: string) => vscode.workspace.getConfiguration(SECTION, folder?.uri).get<T>(key) }, folder?.uri.fsPath);
  }

  static onDidChange(listener: () => void): vscode.Disposable {
    return vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration(SECTION)) listener();
    });
  }
}
