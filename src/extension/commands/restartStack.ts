import * as vscode from 'vscode';
import { waitForContainers } from '../../core/docker';
import { formatDuration } from '../../core/common';
import { waitForHealthy } from '../../core/stack';
import { quote, quoteList } from '../../core/reports';
import type { Lifeboat } from '../lifeboat';
import { runWithProgress } from '../ui/runWithProgress';

/** Restarts the project's containers (after a config restore), database last to stop and first to start, then waits for them and the app's health URL. */
export async function restartStack(lb: Lifeboat): Promise<string[]> {
  const stack = await lb.stacks.discover();
  const names = [...stack.apps.map((a) => a.name), stack.db.name];
  const detail = `${names.join(', ')} restart. The app is unavailable for a few seconds.`;
  if (
    (await lb.prompter.confirm(`Restart the ${quote(stack.project ?? stack.db.name)} stack?`, detail, 'Restart', "Don't Restart")) !==
    'Restart'
  )
    return [];
  const health = lb.stacks.settings.health;
  const checked = await runWithProgress(`Lifeboat: Restarting the ${quote(stack.project ?? stack.db.name)} stack`, async (op) => {
    for (const name of names) {
      op.progress({ phase: `Stopping ${name}` });
      await lb.stacks.engine
        .getContainer(name)
        .stop({ t: 10 })
        .catch(() => undefined);
    }
    for (const name of [...names].reverse()) {
      op.progress({ phase: `Starting ${name}` });
      await lb.stacks.engine
        .getContainer(name)
        .start()
        .catch((err: { statusCode?: number }) => {
          if (err.statusCode !== 304) throw err;
        });
    }
    // Started is not up: the runbook's step "verify health" belongs to the restart.
    op.progress({ phase: 'Waiting for the containers to be healthy' });
    await waitForContainers(lb.stacks.engine, names, {
      timeoutMs: health?.timeoutMs ?? 60_000,
      signal: op.signal,
      log: lb.log,
      after: 'the restart',
    });
    if (!health) return '';
    op.progress({ phase: `Health check ${health.url}` });
    const r = await waitForHealthy(health, op.signal);
    return ` ${health.url} answered ${r.status} in ${formatDuration(r.ms)}.`;
  });
  void vscode.window.showInformationMessage(`Restarted ${quoteList(names)}.${checked}`);
  return names;
}
