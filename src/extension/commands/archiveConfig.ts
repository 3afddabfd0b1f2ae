import * as vscode from 'vscode';
import { archiveConfig as runArchive } from '../../core/config';
import { LifeboatError } from '../../core/common';
import { configArchivedNotice } from '../../core/reports';
import type { Lifeboat } from '../lifeboat';
import { copyNewBackup } from '../copyNewBackup';
import { encryptNewBackup } from '../encryptNewBackup';
import { runWithProgress } from '../ui/runWithProgress';
import { reportFailedVerification, verifyNewBackup } from '../verifyNewBackup';

/** "Lifeboat: Archive Config": the runbook's monthly archive of compose file, .env files, nginx config and migrations. */
export async function archiveConfig(lb: Lifeboat): Promise<string> {
  const folder = lb.stacks.folder;
  if (!folder) throw new LifeboatError('No folder is open.', 'Open the folder of your Compose project, then retry.');
  const settings = lb.stacks.settings;
  // No Docker needed: the project only names the lock and the manifest.
  const project = await settings.projectName();
  const { result, verified } = await runWithProgress('Lifeboat: Archiving config', async (op) => {
    const made = await runArchive({
      ...op,
      logger: lb.log,
      backupDir: settings.backupDirectory,
      workspace: folder.uri.fsPath,
      paths: settings.configPaths,
      project,
      level: settings.compressionLevel,
    });
    return { result: made, verified: await verifyNewBackup(lb, made.path, op) };
  });
  lb.catalog.invalidate();
  if (verified && !verified.ok) {
    reportFailedVerification(lb, verified);
    return result.path;
  }
  const sealed = await encryptNewBackup(lb, result.path);
  await copyNewBackup(lb, sealed.path);
  const files = result.manifest.entries.filter((e) => e.type === 'file').length;
  for (const s of result.skipped) lb.log.warn(`Config archive left out ${s.path}: ${s.reason}`);
  void vscode.window.showInformationMessage(
    configArchivedNotice({
      path: sealed.path,
      verified: !!verified,
      encrypted: sealed.encrypted,
      bytes: result.manifest.file.bytes,
      files,
      missing: result.missing,
      skipped: result.skipped,
    }),
  );
  return sealed.path;
}
