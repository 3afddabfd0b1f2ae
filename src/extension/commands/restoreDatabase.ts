import { basename } from 'node:path';
import * as vscode from 'vscode';
import { describeUpgrade } from '../../core/stack';
import { DryRunSummary, restoreDatabase as runRestore } from '../../core/database';
import { isCancelled, formatBytes, formatCountOf, formatTime, plainText } from '../../core/common';
import { databaseRestoredNotice, quote, quoteList } from '../../core/reports';
import { describeOtherSessions } from '../../core/postgres';
import { readManifest, verificationState } from '../../core/store';
import type { Lifeboat } from '../lifeboat';
import { runWithProgress } from '../ui/runWithProgress';
import { backupKeys } from '../secrets';
import { showRestoreCancelled } from '../showRestoreCancelled';
import { backupTarget } from './backupTarget';
import { pickBackup } from './pickBackup';

/**
 * "Lifeboat: Restore Database…": dry run into a scratch database, then a modal naming what is
 * replaced, then the user types the database name (contract 4 in docs/contracts.md), then the swap.
 * An encrypted backup is decrypted on the fly into the dry run; no plaintext copy is written.
 * Resolves to the pre-restore database's name, or undefined when nothing was replaced.
 */
export async function restoreDatabase(lb: Lifeboat, arg?: unknown): Promise<string | undefined> {
  const file = arg
    ? backupTarget(arg).fsPath
    : await pickBackup(lb, 'Choose the backup to restore (the live database is kept until you drop it)', (e) => e.kind === 'database');
  if (!file) return undefined;
  const stack = await lb.stacks.discover();
  const settings = lb.stacks.settings;
  const live = stack.db.database;
  // A cancel ends the restore before the swap (after it, core undoes the swap and says so).
  const unchanged = () => showRestoreCancelled('Database restore', `The live database "${live}" was not changed.`);
  if (!(await confirmFailedBackup(lb, file))) return unchanged();

  const result = await runWithProgress(`Lifeboat: Restoring ${quote(live)} from ${quote(basename(file))}`, (op) =>
    runRestore(lb.stacks.engine, stack, {
      ...op,
      file,
      keys: backupKeys(lb),
      logger: lb.log,
      backupDir: settings.backupDirectory,
      appServices: settings.appServices,
      migration: settings.migration,
      health: settings.health,
      confirm: async (summary) => {
        op.progress({ phase: 'Dry run passed; waiting for your confirmation' });
        return confirmSwap(lb, summary, settings.appServices ?? stack.apps.map((a) => a.name), op.signal);
      },
    }),
  ).catch((err: unknown) => {
    if (isCancelled(err)) return undefined;
    throw err;
  });
  lb.catalog.invalidate();
  if (!result || result.status === 'declined') return unchanged();
  void vscode.window.showInformationMessage(
    databaseRestoredNotice({ live, file, preRestore: result.preRestore, migration: result.migration?.argv, healthMs: result.health?.ms }),
  );
  return result.preRestore;
}

/** A backup whose last verification failed is restored only when the user says so again. */
async function confirmFailedBackup(lb: Lifeboat, file: string): Promise<boolean> {
  const entry = (await lb.catalog.get()).find((e) => e.path === file);
  const { manifest, problem } = entry ? { manifest: entry.manifest, problem: entry.manifestProblem } : await readManifest(file);
  const failed = entry ? entry.state === 'failed' : verificationState(manifest) === 'failed';
  if (!failed) return true;
  const last = manifest?.verifications.at(-1);
  const why = problem ?? (last && !last.ok ? `${last.detail ?? 'it failed'} (${formatTime(last.at)})` : 'it failed');
  const detail = `Its last check found: ${plainText(why).replace(/\.$/, '')}.\n\nThe dry run checks it again before anything is replaced, but a newer backup that passed is the safer choice.`;
  return (
    (await lb.prompter.confirm(
      `${quote(basename(file))} failed verification. Restore it anyway?`,
      detail,
      'Restore Anyway',
      "Don't Restore",
    )) === 'Restore Anyway'
  );
}

async function confirmSwap(lb: Lifeboat, s: DryRunSummary, apps: string[], signal: AbortSignal): Promise<boolean> {
  const total = (t: Record<string, number>) => Object.values(t).reduce((a, b) => a + b, 0);
  const rows = (t: Record<string, number>) => formatCountOf(total(t), 'row');
  const sessions = s.otherSessions
    ? describeOtherSessions(s.otherSessions, s.live).join('\n')
    : `Other sessions of ${quote(s.live)}, if any, will be disconnected.`;
  // Work a user is about to lose comes before everything else the modal says.
  const losesWork = s.otherSessions?.some((o) => o.inTransaction) ?? false;
  const detail = [
    losesWork ? sessions : '',
    `Dry run passed: ${formatCountOf(Object.keys(s.tables).length, 'table')} and ${rows(s.tables)} restored into ${quote(s.scratch)} and matched the backup.`,
    `The live database now holds about ${rows(s.liveTables)}. It will be renamed, not dropped: you can swap it back or drop it later from the Backups view.`,
    apps.length ? `${quoteList(apps)} will be stopped during the swap and started again.` : '',
    losesWork ? '' : sessions,
    lb.stacks.settings.migration === 'none'
      ? ''
      : await describeUpgrade(lb.stacks.folder?.uri.fsPath, s.backupAlembicHead, s.liveAlembicHead).catch(() => ''),
    `Backup: ${quote(basename(s.file))} (${formatBytes(s.check.fileBytes)}).`,
  ]
    .filter(Boolean)
    .join('\n\n');
  // A Cancel clicked on the progress while the modal's text was being gathered must not be
  // followed by a modal asking to replace the database.
  if (signal.aborted) return false;
  const choice = await lb.prompter.confirm(
    `Replace the live database ${quote(s.live)} with this backup?`,
    detail,
    'Replace…',
    'Keep Live Database',
  );
  if (choice !== 'Replace…') return false;
  return lb.prompter.typeToConfirm(`Type ${quote(s.live)} to replace the live database with the restored copy.`, s.live);
}
