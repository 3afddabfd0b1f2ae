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

/** Shows `content` in the Markdown preview under the title `name` (e.g. "Cleanup preview"). */
export async function showMarkdown(name: string, content: string): Promise<vscode.TextDocument> {
  const uri = vscode.Uri.from({ scheme: SCHEME, path: `/${name}.md` });
  reports.set(uri, content);
  const doc = await vscode.workspace.openTextDocument(uri);
  await vscode.commands.executeCommand('markdown.showPreview', uri);
  return doc;
}
