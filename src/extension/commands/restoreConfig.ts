import { basename, join } from 'node:path';
import * as vscode from 'vscode';
import { formatCount, formatCountOf, LifeboatError, isCancelled } from '../../core/common';
import { quote } from '../../core/reports';
import { FileComparison, applyFiles, compareWithWorkspace } from '../../core/config';
import { removeStaging, safeExtract } from '../../core/archive';
import type { Lifeboat } from '../lifeboat';
import type { PickItem } from '../ui/prompter';
import { runWithProgress } from '../ui/runWithProgress';
import { backupKeys } from '../secrets';
import { showRestoreCancelled } from '../showRestoreCancelled';
import { backupTarget } from './backupTarget';
import { pickBackup } from './pickBackup';

const STATUS_LABEL: Record<FileComparison['status'], string> = {
  changed: '$(diff-modified) changed',
  new: '$(diff-added) not in the workspace',
  identical: '$(check) identical',
};

/**
 * "Lifeboat: Restore Config…" (Scenario 3 with its review step): the archive is extracted to a
 * private staging folder under contract 9 in docs/contracts.md, every file is compared with the
 * workspace copy (a diff editor one click away), and only the chosen files are applied, each
 * replaced file kept as `.bak`. Resolves to the paths applied.
 */
export async function restoreConfig(lb: Lifeboat, arg?: unknown): Promise<string[]> {
  const folder = lb.stacks.folder;
  if (!folder) throw new LifeboatError('No folder is open.', 'Open the folder of your Compose project, then retry.');
  const workspace = folder.uri.fsPath;
  const file = arg
    ? backupTarget(arg).fsPath
    : await pickBackup(lb, 'Choose the config archive to restore from', (e) => e.kind === 'config');
  if (!file) return [];
  // Nothing is written into the workspace before the last modal, so every cancel leaves it as it was.
  const unchanged = (): [] => {
    showRestoreCancelled('Config restore', `No file in "${basename(workspace)}" was changed.`);
    return [];
  };
  const staged = await runWithProgress(`Lifeboat: Reading ${quote(basename(file))}`, (op) =>
    safeExtract(file, { ...op, logger: lb.log, keys: backupKeys(lb) }),
  ).catch((err: unknown) => {
    if (isCancelled(err)) return undefined;
    throw err;
  });
  if (!staged) return unchanged();
  try {
    const comparisons = await compareWithWorkspace(staged.dir, workspace, staged.entries);
    const differing = comparisons.filter((c) => c.status !== 'identical');
    if (differing.length === 0) {
      void vscode.window.showInformationMessage(
        `Every file in ${quote(basename(file))} is identical to the workspace copy. Nothing to restore.`,
      );
      return [];
    }
    // What differs first: that is what a review is about.
    const order = { changed: 0, new: 1, identical: 2 } as const;
    const sorted = [...comparisons].sort((a, b) => order[a.status] - order[b.status] || a.path.localeCompare(b.path));
    const items: PickItem<string>[] = sorted.map((c) => ({
      label: c.path,
      description: STATUS_LABEL[c.status] + (c.reason && c.reason !== 'content' ? ` (${c.reason})` : ''),
      picked: c.status !== 'identical',
      value: c.path,
    }));
    const chosen = await lb.prompter.pickMany(items, `Tick the files to restore from ${basename(file)}`, (path) => {
      const title = `${path} (archive ${basename(file)}) ↔ workspace`;
      void vscode.commands.executeCommand(
        'vscode.diff',
        vscode.Uri.file(join(staged.dir, path)),
        vscode.Uri.file(join(workspace, path)),
        title,
      );
    });
    if (!chosen || chosen.length === 0) return unchanged();
    const replacing = chosen.filter((p) => comparisons.find((c) => c.path === p)?.status === 'changed');
    const detail = [
      `${chosen.length === 1 ? 'The file is' : `The ${formatCount(chosen.length)} files are`} written from ${quote(basename(file))} into ${quote(workspace)}.`,
      replacing.length === 0
        ? ''
        : chosen.length === 1
          ? 'It replaces the workspace file, which is kept next to it as <name>.bak.'
          : `${formatCountOf(replacing.length, 'of them replaces a workspace file', 'of them replace workspace files')}; each replaced file is kept next to it as <name>.bak.`,
    ]
      .filter(Boolean)
      .join('\n\n');
    if (
      (await lb.prompter.confirm(`Restore ${formatCountOf(chosen.length, 'config file')}?`, detail, 'Restore', 'Keep Workspace Files')) !==
      'Restore'
    )
      return unchanged();
    const applied = await applyFiles(staged.dir, workspace, chosen, staged.entries);
    for (const a of applied) lb.log.info(`Config restore: ${a.action} ${a.path}${a.backup ? ` (previous copy: ${a.backup})` : ''}`);
    void vscode.window
      .showInformationMessage(`Restored ${formatCountOf(applied.length, 'config file')}. Restart the stack to use them.`, 'Restart Stack')
      .then((pick) => {
        if (pick) void vscode.commands.executeCommand('lifeboat.restartStack');
      });
    return applied.map((a) => a.path);
  } finally {
    await removeStaging(staged.dir);
  }
}
