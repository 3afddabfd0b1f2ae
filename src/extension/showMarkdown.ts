import * as vscode from 'vscode';

/** A read-only report in the Markdown preview, from an untitled document nothing needs to save. */
export async function showMarkdown(content: string): Promise<vscode.TextDocument> {
  const doc = await vscode.workspace.openTextDocument({ content, language: 'markdown' });
  await vscode.commands.executeCommand('markdown.showPreview', doc.uri);
  return doc;
}
