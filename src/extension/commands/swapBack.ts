import * as vscode from 'vscode';
import { undoRestore } from '../../core/databaseRestore';
import type { Lifeboat } from '../lifeboat';
import { runWithProgress } from '../runWithProgress';
import { sideDatabaseTarget } from './sideDatabaseTarget';

/** "Swap Back": a pre-restore copy becomes live again; the live one is kept aside. Resolves to its new name. */
export async function swapBack(lb: Lifeboat, arg?: unknown): Promise<string | undefined> {
  const copy = sideDatabaseTarget(arg);
  const stack = await lb.stacks.discover();
  const settings = lb.stacks.settings;
  const live = stack.db.database;
  const apps = settings.appServices ?? stack.apps.map((a) => a.name);
  const detail = [
    `${copy} becomes the live database ${live}. The current ${live} is renamed, not dropped, so this can be undone the same way.`,
    apps.length ? `${apps.join(', ')} will be stopped during the swap and started again.` : '',
  ]
    .filter(Boolean)
    .join('\n\n');
  if ((await lb.prompter.confirm(`Make ${copy} the live database again?`, detail, 'Swap…', 'Leave As Is')) !== 'Swap…') return undefined;
  if (!(await lb.prompter.typeToConfirm(`Type ${live} to replace the live database with ${copy}.`, live))) return undefined;
  const result = await runWithProgress(`Lifeboat: Swapping ${copy} back in`, (op) =>
    undoRestore(lb.stacks.engine, stack, copy, { ...op, logger: lb.log, backupDir: settings.backupDirectory, appServices: settings.appServices, health: settings.health }),
  );
  lb.catalog.invalidate();
  void vscode.window.showInformationMessage(`${copy} is live again as ${live}. The database it replaced is kept as ${result.aside}.`);
  return result.aside;
}
