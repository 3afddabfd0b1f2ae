import * as vscode from 'vscode';
import { listBackups } from '../../core/store';
import { formatBytes, formatCount, formatCountOf } from '../../core/common';
import { PruneResult, pruneBackups, planRetention, renderRetentionMarkdown } from '../../core/retention';
import type { Lifeboat } from '../lifeboat';
import { showMarkdown } from '../ui/showMarkdown';

/**
 * "Lifeboat: Preview Cleanup…": what lifeboat.retention.* keeps and deletes and why, shown
 * first; then a modal; then only the previewed files go, and only if a fresh plan still agrees
 * (contract 6 in docs/contracts.md). Resolves to the result, or undefined when nothing was deleted.
 */
export async function cleanUp(lb: Lifeboat): Promise<PruneResult | undefined> {
  const settings = lb.stacks.settings;
  const dir = settings.backupDirectory;
  const policies = settings.retention;
  const plan = planRetention(await listBackups(dir), policies, new Date());
  // The modal that follows must keep the keyboard focus on "Keep All".
  await showMarkdown('Cleanup preview', renderRetentionMarkdown(plan, dir), { preserveFocus: true });
  if (plan.remove.length === 0) {
    void vscode.window.showInformationMessage(
      `Nothing to clean up: all ${formatCountOf(plan.keep.length, 'backup')} are kept by the retention rules.`,
    );
    return undefined;
  }
  const bytes = plan.remove.reduce((a, e) => a + e.bytes, 0);
  const action = `Delete ${formatCountOf(plan.remove.length, 'Backup')}`;
  const detail = [
    `Frees ${formatBytes(bytes)}. ${formatCountOf(plan.keep.length, 'backup')} ${plan.keep.length === 1 ? 'stays' : 'stay'}, including the newest verified one of each kind.`,
    'The preview lists every file and why. Deleted files and their manifests cannot be recovered.',
  ].join('\n');
  const choice = await lb.prompter.confirm(`Delete ${formatCountOf(plan.remove.length, 'old backup')}?`, detail, action, 'Keep All');
  if (choice !== action) return undefined;
  const lockName = await settings.projectName();
  const result = await pruneBackups(dir, policies, { only: new Set(plan.remove.map((e) => e.path)), lockName, logger: lb.log });
  lb.catalog.invalidate();
  const kept = plan.remove.length - result.removed.length - result.failures.length;
  const parts = [`Deleted ${formatCountOf(result.removed.length, 'backup')}, freed ${formatBytes(result.freedBytes)}.`];
  if (kept > 0) parts.push(`${formatCount(kept)} stayed because the folder changed since the preview.`);
  if (result.failures.length) {
    parts.push(`${formatCount(result.failures.length)} could not be deleted (see the log).`);
    void vscode.window.showWarningMessage(parts.join(' '), 'Show Log').then((p) => p && lb.log.show());
  } else {
    void vscode.window.showInformationMessage(parts.join(' '));
  }
  return result;
}
