import * as vscode from 'vscode';
import { backupDatabase as runBackup } from '../../core/databaseBackup';
import { formatBytes } from '../../core/format';
import type { Lifeboat } from '../lifeboat';
import { runWithProgress } from '../runWithProgress';

/** "Lifeboat: Back Up Database". Resolves to the new backup's path. */
export async function backupDatabase(lb: Lifeboat): Promise<string> {
  const stack = await lb.stacks.discover();
  const settings = lb.stacks.settings;
  const result = await runWithProgress(`Lifeboat: Backing up ${stack.db.database}`, (op) =>
    runBackup(lb.stacks.engine, stack, {
      ...op,
      logger: lb.log,
      backupDir: settings.backupDirectory,
      prefix: settings.backupPrefix || undefined,
      level: settings.compressionLevel,
    }),
  );
  lb.catalog.invalidate();
  const m = result.manifest;
  const rows = Object.values(m.tables ?? {}).reduce((a, b) => a + b, 0);
  void vscode.window
    .showInformationMessage(
      `Backup created: ${m.file.name} (${formatBytes(m.file.bytes)}, ${Object.keys(m.tables ?? {}).length} tables, ${rows.toLocaleString('en-US')} rows).`,
      'Reveal in Explorer',
    )
    .then((pick) => {
      if (pick) void vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(result.path));
    });
  return result.path;
}
