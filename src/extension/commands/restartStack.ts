import * as vscode from 'vscode';
import type { Lifeboat } from '../lifeboat';
import { runWithProgress } from '../runWithProgress';

/** Restarts the project's containers (after a config restore), database last to stop and first to start. */
export async function restartStack(lb: Lifeboat): Promise<string[]> {
  const stack = await lb.stacks.discover();
  const names = [...stack.apps.map((a) => a.name), stack.db.name];
  const detail = `${names.join(', ')} restart. The app is unavailable for a few seconds.`;
  if ((await lb.prompter.confirm(`Restart the ${stack.project ?? stack.db.name} stack?`, detail, 'Restart')) !== 'Restart') return [];
  await runWithProgress('Lifeboat: Restarting the stack', async (op) => {
    for (const name of names) {
      op.progress({ phase: `Stopping ${name}` });
      await lb.stacks.engine.getContainer(name).stop({ t: 10 }).catch(() => undefined);
    }
    for (const name of [...names].reverse()) {
      op.progress({ phase: `Starting ${name}` });
      await lb.stacks.engine.getContainer(name).start().catch((err: { statusCode?: number }) => {
        if (err.statusCode !== 304) throw err;
      });
    }
  });
  void vscode.window.showInformationMessage(`Restarted ${names.join(', ')}.`);
  return names;
}
