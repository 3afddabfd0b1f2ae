import { basename } from 'node:path';
import * as vscode from 'vscode';
import type { Stack } from '../../core/stack';
import { VerifyDepth, VerifyResult, verifyBackup as runVerify } from '../../core/verify';
import { parseBackupName } from '../../core/store';
import type { Lifeboat } from '../lifeboat';
import type { PickItem } from '../ui/prompter';
import { runWithProgress } from '../ui/runWithProgress';
import { backupKeys } from '../secrets';
import { backupTarget } from './backupTarget';
import { pickBackup } from './pickBackup';
import { quote, verifyNotice } from '../../core/reports';

const LAST_DEPTH = 'lifeboat.verify.lastDepth';

/**
 * "Lifeboat: Verify Backup…" (palette, a Backups item, Explorer right-click). A database dump
 * is verified quickly (read whole) or fully (a test restore into a throwaway database on the
 * live server, after the quick checks), as the user picks; the last choice is offered first.
 * Without the stack a full one becomes quick and says so. An encrypted backup is read through
 * its key (asked like Decrypt Backup asks), without a decrypted copy on disk. Resolves to the result.
 */
export async function verifyBackup(lb: Lifeboat, arg?: unknown, depthArg?: unknown): Promise<VerifyResult | undefined> {
  const file = arg ? backupTarget(arg).fsPath : await pickBackup(lb, 'Choose the backup to verify');
  if (!file) return undefined;
  const asked = depthArg === undefined ? await askDepth(lb, file) : depthArg;
  if (asked === null) return undefined;
  const { depth, stack } = await chooseDepth(lb, asked);
  const keys = backupKeys(lb);
  const result = await runWithProgress(`Lifeboat: Verifying ${quote(basename(file))}`, (op) =>
    runVerify(file, { ...op, depth, docker: stack ? lb.stacks.engine : undefined, stack, logger: lb.log, keys }),
  );
  lb.catalog.invalidate();
  report(lb, result);
  return result;
}

/**
 * Quick or full, for a database dump (the only kind a full verification adds to): null when
 * dismissed. Other kinds need no question.
 */
async function askDepth(lb: Lifeboat, file: string): Promise<VerifyDepth | undefined | null> {
  if (parseBackupName(basename(file))?.kind !== 'database') return 'quick';
  const last = lb.context.workspaceState.get<VerifyDepth>(LAST_DEPTH);
  const items: PickItem<VerifyDepth>[] = [
    {
      label: 'Verify (quick)',
      description: 'seconds',
      detail: 'Reads the file whole: gzip, end marker, checksum. Nothing runs on the server.',
      value: 'quick',
    },
    {
      label: 'Verify (full test restore)',
      description: 'slower',
      detail: 'Quick checks, then a restore into a throwaway database on the live server.',
      value: 'full',
    },
  ];
  if (last === 'full') items.reverse();
  if (last) items[0].description = `${items[0].description} · last used`;
  const chosen = await lb.prompter.pick(items, `How thoroughly to verify ${basename(file)}?`);
  if (!chosen) return null;
  await lb.context.workspaceState.update(LAST_DEPTH, chosen);
  return chosen;
}

/** Full when asked or possible; quick when the stack is not there to test-restore into. */
export async function chooseDepth(lb: Lifeboat, depthArg: unknown): Promise<{ depth: VerifyDepth; stack?: Stack }> {
  if (depthArg === 'quick') return { depth: 'quick' };
  try {
    return { depth: 'full', stack: await lb.stacks.discover() };
  } catch (err) {
    if (depthArg === 'full') throw err;
    lb.log.warn(`Full verification needs the stack (${(err as Error).message}); verifying quickly instead.`);
    return { depth: 'quick' };
  }
}

function report(lb: Lifeboat, r: VerifyResult): void {
  // The log keeps the full path and the problem as core said it; the notification says it short.
  if (r.ok) lb.log.info(`${r.depth} verification of ${r.path}: passed`);
  else lb.log.error(`${r.depth} verification of ${r.path}: FAILED: ${r.problem ?? 'unknown error'}`);
  for (const c of r.checks) lb.log.info(`  ✓ ${c}`);
  for (const n of r.notes) lb.log.info(`  – not checked: ${n}`);
  if (r.ok) {
    void vscode.window.showInformationMessage(verifyNotice(r));
  } else {
    void vscode.window.showErrorMessage(verifyNotice(r), 'Show Log').then((pick) => {
      if (pick) lb.log.show();
    });
  }
}
