import * as vscode from 'vscode';
import { backupDatabase as runBackup } from '../../core/database';
import type { Stack } from '../../core/stack';
import { formatDuration } from '../../core/common';
import { backupCreatedNotice, quote } from '../../core/reports';
import type { Lifeboat } from '../lifeboat';
import { copyNewBackup } from '../copyNewBackup';
import { encryptNewBackup } from '../encryptNewBackup';
import { runWithProgress } from '../ui/runWithProgress';
import { reportFailedVerification, verifyNewBackup } from '../verifyNewBackup';

/** Backups running in this window, by backup folder and stack: a second click joins one. */
const running = new Map<string, { startedAt: number; done: Promise<string> }>();

/**
 * "Lifeboat: Back Up Database". Resolves to the new backup's path (the `.age`/`.enc` when new
 * backups are encrypted). A click while this window backs up the same stack is not a second
 * backup (the stack's lock would refuse it): it says so and resolves with the running one.
 */
export async function backupDatabase(lb: Lifeboat): Promise<string | undefined> {
  const stack = await lb.stacks.discover();
  const settings = lb.stacks.settings;
  const name = stack.project ?? stack.db.name;
  const key = `${settings.backupDirectory}\0${name}`;
  const current = running.get(key);
  if (current) {
    void vscode.window.showInformationMessage(
      `A backup of ${quote(name)} is already running (started ${formatDuration(Date.now() - current.startedAt)} ago). Its result is shown when it ends.`,
    );
    // Its failure is reported once, by the click that started it.
    return current.done.catch(() => undefined);
  }
  const done = makeBackup(lb, stack);
  running.set(key, { startedAt: Date.now(), done });
  try {
    return await done;
  } finally {
    running.delete(key);
  }
}

async function makeBackup(lb: Lifeboat, stack: Stack): Promise<string> {
  const settings = lb.stacks.settings;
  const { result, verified } = await runWithProgress(`Lifeboat: Backing up ${quote(stack.db.database)}`, async (op) => {
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
  await copyNewBackup(lb, sealed.path);
  const m = result.manifest;
  void vscode.window
    .showInformationMessage(
      backupCreatedNotice({
        path: sealed.path,
        verifiedDepth: verified?.depth,
        encrypted: sealed.encrypted,
        bytes: m.file.bytes,
        tables: m.tables ?? {},
      }),
      'Reveal in Explorer',
    )
    .then((pick) => {
      if (pick) void vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(sealed.path));
    });
  return sealed.path;
}
