import * as vscode from 'vscode';

const SCHEME = 'lifeboat-report';

/**
 * Reports (cleanup preview, status) as read-only documents of their own scheme: the Markdown
 * preview shows them, nothing is left dirty to be saved on close, and showing one again
 * refreshes the open preview instead of stacking copies.
 */
class ReportDocuments implements vscode.TextDocumentContentProvider {
  private readonly contents = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.contents.get(uri.path) ?? '';
  }

  set(uri: vscode.Uri, content: string): void {
    this.contents.set(uri.path, content);
    this.changed.fire(uri);
  }
}

const reports = new ReportDocuments();

export function registerReportDocuments(): vscode.Disposable {
  return vscode.workspace.registerTextDocumentContentProvider(SCHEME, reports);
}

/**
 * Shows `content` in the Markdown preview under the title `name` (e.g. "Cleanup preview").
 * With `preserveFocus` the preview opens beside the active editor without taking the keyboard
 * focus: a modal shown next to it keeps its default (safe) button focused. `markdown.showPreview`
 * has no such option and focuses its webview after it returns, so the preview editor is opened
 * directly, and awaited, so that it is in place before any modal.
 */
export async function showMarkdown(name: string, content: string, opts: { preserveFocus?: boolean } = {}): Promise<vscode.TextDocument> {
  const uri = vscode.Uri.from({ scheme: SCHEME, path: `/${name}.md` });
  reports.set(uri, content);
  const doc = await vscode.workspace.openTextDocument(uri);
  const preserveFocus = opts.preserveFocus ?? false;
  // Beside an open editor, so what the user was reading stays in view; with none open, in the
  // editor area itself rather than next to an empty group.
  const beside = preserveFocus && vscode.window.tabGroups.activeTabGroup.activeTab !== undefined;
  await vscode.commands.executeCommand('vscode.openWith', uri, 'vscode.markdown.preview.editor', {
    viewColumn: beside ? vscode.ViewColumn.Beside : vscode.ViewColumn.Active,
    preserveFocus,
    preview: false,
  });
  return doc;
}
