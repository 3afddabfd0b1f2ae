import * as vscode from 'vscode';

export interface PickItem<T> extends vscode.QuickPickItem {
  value: T;
}

/**
 * The questions Lifeboat asks. Commands ask through this so extension-host tests can answer
 * a modal the way a user would, while everything else stays the real VS Code.
 */
export interface Prompter {
  /**
   * A modal warning with `safe` (the choice that changes nothing, e.g. "Keep Backup") as its
   * default button and `action` beside it, then any `alternatives` (another way to go on);
   * resolves to the action or alternative chosen, or undefined for anything else.
   */
  confirm(message: string, detail: string, action: string, safe: string, ...alternatives: string[]): Promise<string | undefined>;
  /** The runbook's "confirm twice": the user types `expected` (a database name) to go on. */
  typeToConfirm(prompt: string, expected: string): Promise<boolean>;
  pick<T>(items: PickItem<T>[], placeHolder: string): Promise<T | undefined>;
  /**
   * An input box (a password box with `password`); `optional` lets Enter take an empty answer.
   * Resolves undefined when dismissed. Never logged.
   */
  askText(
    prompt: string,
    opts: { title: string; password: boolean; optional?: boolean; placeHolder?: string },
  ): Promise<string | undefined>;
  /** A password input box; with `confirm`, typed twice. Resolves undefined when dismissed. Never logged. */
  askPassphrase(prompt: string, opts: { confirm: boolean }): Promise<string | undefined>;
  /**
   * Several choices at once; `compare` opens something for an item (a diff) without closing
   * the pick. Resolves to the chosen values, or undefined when dismissed.
   */
  pickMany<T>(items: PickItem<T>[], placeHolder: string, compare?: (value: T) => void): Promise<T[] | undefined>;
  /** A non-modal warning with an action; resolves to the action when clicked. Callers do not wait for it. */
  warn(message: string, action: string): Promise<string | undefined>;
}

export const vscodePrompter: Prompter = {
  async confirm(message, detail, action, safe, ...alternatives) {
    // VS Code makes a modal's first button the default, focused one, so Enter takes it: that must
    // be the choice that changes nothing. A close affordance would not do, because VS Code moves
    // it out of the row and the action would become the default; its own Cancel (Escape) stays.
    const chosen = await vscode.window.showWarningMessage(
      message,
      { modal: true, detail },
      { title: safe },
      { title: action },
      ...alternatives.map((title) => ({ title })),
    );
    return chosen && chosen.title !== safe ? chosen.title : undefined;
  },
  async warn(message, action) {
    return vscode.window.showWarningMessage(message, action);
  },
  async typeToConfirm(prompt, expected) {
    const typed = await vscode.window.showInputBox({
      title: 'Lifeboat: confirm',
      prompt,
      placeHolder: expected,
      ignoreFocusOut: true,
      validateInput: (v) => (v === expected || v === '' ? undefined : `Type "${expected}" exactly, or press Escape to cancel.`),
    });
    return typed === expected;
  },
  pickMany(items, placeHolder, compare) {
    return new Promise((resolve) => {
      const qp = vscode.window.createQuickPick<(typeof items)[number]>();
      const button = { iconPath: new vscode.ThemeIcon('diff'), tooltip: 'Compare with the workspace copy' };
      qp.items = items.map((i) => ({ ...i, buttons: compare ? [button] : undefined }));
      qp.selectedItems = qp.items.filter((i) => i.picked);
      qp.canSelectMany = true;
      qp.placeholder = placeHolder;
      qp.ignoreFocusOut = true;
      let done = false;
      qp.onDidTriggerItemButton((e) => compare?.(e.item.value));
      qp.onDidAccept(() => {
        done = true;
        resolve(qp.selectedItems.map((i) => i.value));
        qp.hide();
      });
      qp.onDidHide(() => {
        if (!done) resolve(undefined);
        qp.dispose();
      });
      qp.show();
    });
  },
  async pick(items, placeHolder) {
    const chosen = await vscode.window.showQuickPick(items, { placeHolder, matchOnDescription: true, matchOnDetail: true });
    return chosen?.value;
  },
  async askText(prompt, { title, password, optional, placeHolder }) {
    const value = await vscode.window.showInputBox({
      title,
      prompt,
      password,
      placeHolder,
      ignoreFocusOut: true,
      validateInput: (v) => (optional || v.trim() ? undefined : 'This cannot be empty.'),
    });
    return value === undefined ? undefined : value.trim();
  },
  async askPassphrase(prompt, { confirm }) {
    const first = await vscode.window.showInputBox({
      title: 'Lifeboat: passphrase',
      prompt,
      password: true,
      ignoreFocusOut: true,
      validateInput: (v) => (v.length === 0 ? 'The passphrase cannot be empty.' : undefined),
    });
    if (!first || !confirm) return first || undefined;
    const again = await vscode.window.showInputBox({
      title: 'Lifeboat: passphrase (again)',
      prompt: 'Type the passphrase again. Without it the encrypted backup cannot be restored.',
      password: true,
      ignoreFocusOut: true,
      validateInput: (v) => (v === first || v === '' ? undefined : 'The two passphrases differ.'),
    });
    return again === first ? first : undefined;
  },
};
