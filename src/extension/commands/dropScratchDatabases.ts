import * as vscode from 'vscode';
import { quoteList } from '../../core/reports';
import { dropScratchDatabases as dropScratch, scratchDatabases } from '../../core/database';
import { formatBytes, formatCountOf } from '../../core/common';
import type { Lifeboat } from '../lifeboat';

/**
 * "Drop Scratch Databases…": the copies interrupted dry runs and test restores left beside the
 * live database, dropped after one modal that names them all. Only those: never the live
 * database or a pre-restore copy. Resolves to the names dropped.
 */
export async function dropScratchDatabases(lb: Lifeboat): Promise<string[]> {
  const stack = await lb.stacks.discover();
  const live = stack.db.database;
  const target = { container: lb.stacks.engine.getContainer(stack.db.id), user: stack.db.user, database: live };
  const scratch = await scratchDatabases(target, live);
  if (!scratch.length) {
    void vscode.window.showInformationMessage(`No scratch databases are left beside "${live}".`);
    return [];
  }
  const names = scratch.map((d) => d.name);
  const bytes = scratch.reduce((n, d) => n + d.bytes, 0);
  const detail = `${formatBytes(bytes)} in all. Interrupted dry runs and test restores left ${names.length === 1 ? 'it' : 'them'}; ${names.length === 1 ? 'it holds' : 'they hold'} copies only. The live database "${live}" and any pre-restore copy are not touched.`;
  const message = `Drop ${formatCountOf(names.length, 'scratch database')}: ${quoteList(names)}?`;
  if ((await lb.prompter.confirm(message, detail, 'Drop', 'Keep Them')) !== 'Drop') return [];
  const dropped = await dropScratch(target, live, names, {
    backupDir: lb.stacks.settings.backupDirectory,
    lockName: stack.project ?? stack.db.name,
    logger: lb.log,
  });
  lb.catalog.invalidate();
  void vscode.window.showInformationMessage(`Dropped ${quoteList(dropped)}.`);
  return dropped;
}
