import * as vscode from 'vscode';
import { CancelledError, formatCount, formatCountOf } from '../../core/common';
import { verifyAllNotice } from '../../core/reports';
import { VerifyResult, verifyBackup } from '../../core/verify';
import type { Lifeboat } from '../lifeboat';
import { runWithProgress } from '../ui/runWithProgress';
import { backupKeys } from '../secrets';
import { chooseDepth } from './verifyBackup';

/** "Lifeboat: Verify All Backups": every backup, one after another, in one progress; encrypted ones through their key. */
export async function verifyAllBackups(lb: Lifeboat, depthArg?: unknown): Promise<VerifyResult[]> {
  const entries = await lb.catalog.load();
  if (entries.length === 0) {
    void vscode.window.showInformationMessage('There are no backups to verify yet.');
    return [];
  }
  const { depth, stack } = await chooseDepth(lb, depthArg);
  const results = await runWithProgress(`Lifeboat: Verifying ${formatCountOf(entries.length, 'backup')}`, async (op) => {
    const done: VerifyResult[] = [];
    const keys = backupKeys(lb);
    for (const [i, e] of entries.entries()) {
      if (op.signal.aborted) throw new CancelledError();
      op.progress({ phase: `${formatCount(i + 1)} of ${formatCount(entries.length)}: ${e.fileName}` });
      done.push(
        await verifyBackup(e.path, { signal: op.signal, depth, docker: stack ? lb.stacks.engine : undefined, stack, logger: lb.log, keys }),
      );
    }
    return done;
  });
  lb.catalog.invalidate();
  const failed = results.filter((r) => !r.ok);
  for (const r of results) {
    if (r.ok) lb.log.info(`ok     ${r.path}`);
    else lb.log.error(`FAILED ${r.path}: ${r.problem ?? 'unknown error'}`);
  }
  if (failed.length) {
    void vscode.window.showErrorMessage(verifyAllNotice(results, depth), 'Show Log').then((p) => {
      if (p) lb.log.show();
    });
  } else {
    void vscode.window.showInformationMessage(verifyAllNotice(results, depth));
  }
  return results;
}
