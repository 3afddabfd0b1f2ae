import * as vscode from 'vscode';
import { quote, quoteList } from '../../core/reports';
import { undoRestore } from '../../core/database';
import { describeOtherSessions, otherSessions } from '../../core/postgres';
import type { Lifeboat } from '../lifeboat';
import { runWithProgress } from '../ui/runWithProgress';
import { showRestoreCancelled } from '../showRestoreCancelled';
import { sideDatabaseTarget } from './sideDatabaseTarget';

/** "Swap Back": a pre-restore copy becomes live again; the live one is kept aside. Resolves to its new name. */
export async function swapBack(lb: Lifeboat, arg?: unknown): Promise<string | undefined> {
  const copy = sideDatabaseTarget(arg);
  const stack = await lb.stacks.discover();
  const settings = lb.stacks.settings;
  const live = stack.db.database;
  const unchanged = () => showRestoreCancelled('Swap back', `The live database "${live}" was not changed; "${copy}" is kept.`);
  const apps = settings.appServices ?? stack.apps.map((a) => a.name);
  // Both names are renamed, so the swap ends sessions on the copy too (someone inspecting it).
  const target = { container: lb.stacks.engine.getContainer(stack.db.id), user: stack.db.user, database: live };
  const others = await otherSessions(target, [live, copy]).catch((err) => {
    lb.log.warn(`Could not list the other sessions of ${quote(live)} and ${quote(copy)}: ${(err as Error).message}`);
    return undefined;
  });
  const sessions = others
    ? describeOtherSessions(others, live).join('\n')
    : `Other sessions of ${quote(live)} and ${quote(copy)}, if any, will be disconnected.`;
  const losesWork = others?.some((o) => o.inTransaction) ?? false;
  const detail = [
    losesWork ? sessions : '',
    `${quote(copy)} becomes the live database ${quote(live)}. The current ${quote(live)} is renamed, not dropped, so this can be undone the same way.`,
    apps.length ? `${quoteList(apps)} will be stopped during the swap and started again.` : '',
    losesWork ? '' : sessions,
  ]
    .filter(Boolean)
    .join('\n\n');
  if ((await lb.prompter.confirm(`Make ${quote(copy)} the live database again?`, detail, 'Swap…', 'Leave As Is')) !== 'Swap…')
    return unchanged();
  if (!(await lb.prompter.typeToConfirm(`Type ${quote(live)} to replace the live database with ${quote(copy)}.`, live))) return unchanged();
  const result = await runWithProgress(`Lifeboat: Swapping ${quote(copy)} back in`, (op) =>
    undoRestore(lb.stacks.engine, stack, copy, {
      ...op,
      logger: lb.log,
      backupDir: settings.backupDirectory,
      appServices: settings.appServices,
      health: settings.health,
    }),
  );
  lb.catalog.invalidate();
  void vscode.window.showInformationMessage(
    `${quote(copy)} is live again as ${quote(live)}. The database it replaced is kept as ${quote(result.aside)}.`,
  );
  return result.aside;
}
