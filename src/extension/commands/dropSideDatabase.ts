import * as vscode from 'vscode';
import { quote } from '../../core/reports';
import { listSideDatabases, dropDatabase } from '../../core/database';
import { LifeboatError, formatBytes } from '../../core/common';
import type { Lifeboat } from '../lifeboat';
import { sideDatabaseTarget } from './sideDatabaseTarget';

/** Drops a pre-restore (or failed or scratch) copy after a modal that names it. Resolves true when dropped. */
export async function dropSideDatabase(lb: Lifeboat, arg?: unknown): Promise<boolean> {
  const name = sideDatabaseTarget(arg);
  const stack = await lb.stacks.discover();
  const target = { container: lb.stacks.engine.getContainer(stack.db.id), user: stack.db.user, database: stack.db.database };
  // Only a copy Lifeboat made can be dropped here: never the live database, never a stranger.
  const side = (await listSideDatabases(target, stack.db.database)).find((d) => d.name === name);
  if (!side)
    throw new LifeboatError(`${quote(name)} is not a copy Lifeboat kept beside ${quote(stack.db.database)}.`, 'Refresh the Backups view.');
  const detail = `${formatBytes(side.bytes)}. Its data is deleted for good; the live database ${quote(stack.db.database)} is not affected.`;
  if ((await lb.prompter.confirm(`Drop the database ${quote(name)}?`, detail, 'Drop', 'Keep Database')) !== 'Drop') return false;
  await dropDatabase(target, name);
  lb.log.info(`Dropped ${name}`);
  lb.catalog.invalidate();
  void vscode.window.showInformationMessage(`Dropped ${quote(name)}.`);
  return true;
}
