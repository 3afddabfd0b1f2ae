import * as vscode from 'vscode';

/**
 * The questions Lifeboat asks. Commands ask through this so extension-host tests can answer
 * a modal the way a user would, while everything else stays the real VS Code.
 */
export interface Prompter {
  /** A modal warning; resolves to the chosen action or undefined when dismissed. */
  confirm(message: string, detail: string, action: string): Promise<string | undefined>;
}

export const vscodePrompter: Prompter = {
  async confirm(message, detail, action) {
    return vscode.window.showWarningMessage(message, { modal: true, detail }, action);
  },
};
