import { basename } from 'node:path';
import * as vscode from 'vscode';
import { backupDatabase as runBackup } from '../../core/databaseBackup';
import { formatBytes } from '../../core/format';
import type { Lifeboat } from '../lifeboat';
import { encryptNewBackup } from '../encryptNewBackup';
import { runWithProgress } from '../runWithProgress';
import { reportFailedVerification, verifyNewBackup } from '../verifyNewBackup';

/** "Lifeboat: Back Up Database". Resolves to the new backup's path (the `.age`/`.enc` when new backups are encrypted). */
export async function backupDatabase(lb: Lifeboat): Promise<string> {
  const stack = await lb.stacks.discover();
  const settings = lb.stacks.settings;
  const { result, verified } = await runWithProgress(`Lifeboat: Backing up ${stack.db.database}`, async (op) => {
    const made = await runBackup(lb.stacks.engine, stack, {
      ...op,
      logger: lb.log,
      backupDir: settings.backupDirectory,
      prefix: settings.backupPrefix || undefined,
      level: settings.compressionLevel,
    });
    return { result: made, verified: await verifyNewBackup(lb, made.path, op, stack) };
  });
  lb.catalog.invalidate();
  if (verified && !verified.ok) {
    reportFailedVerification(lb, verified);
    return result.path;
  }
  const sealed = await encryptNewBackup(lb, result.path);
  const m = result.manifest;
  const rows = Object.values(m.tables ?? {}).reduce((a, b) => a + b, 0);
  void vscode.window
    .showInformationMessage(
      `Backup created${verified ? ` and verified (${verified.depth})` : ''}${sealed.encrypted ? ' and encrypted' : ''}: ${basename(sealed.path)} (${formatBytes(m.file.bytes)}, ${Object.keys(m.tables ?? {}).length} tables, ${rows.toLocaleString('en-US')} rows).`,
      'Reveal in Explorer',
    )
    .then((pick) => {
      if (pick) void vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(sealed.path));
    });
  return sealed.path;
}
