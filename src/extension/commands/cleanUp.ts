import * as vscode from 'vscode';
import { listBackups } from '../../core/store';
import { formatBytes, formatCount, formatCountOf } from '../../core/common';
import { PruneResult, RetentionPlan, RetentionPolicies, pruneBackups, planRetention, renderRetentionMarkdown } from '../../core/retention';
import { Destination, parseDestination, planOffsiteRetention, pruneOffsite } from '../../core/offsite';
import type { Lifeboat } from '../lifeboat';
import { commandOffsiteOptions } from '../offsiteOptions';
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
  const offsite = await offsitePlan(lb);
  const report = [renderRetentionMarkdown(plan, dir)];
  if (offsite) report.push(renderRetentionMarkdown(offsite.plan, dir, { where: offsite.destination.describe() }));
  // The modal that follows must keep the keyboard focus on "Keep All".
  await showMarkdown('Cleanup preview', report.join('\n'), { preserveFocus: true });
  const remove = plan.remove.length + (offsite?.plan.remove.length ?? 0);
  const keep = plan.keep.length + (offsite?.plan.keep.length ?? 0);
  if (remove === 0) {
    void vscode.window.showInformationMessage(`Nothing to clean up: all ${formatCountOf(keep, 'backup')} are kept by the retention rules.`);
    return undefined;
  }
  const bytes = plan.remove.reduce((a, e) => a + e.bytes, 0);
  const action = `Delete ${formatCountOf(remove, 'Backup')}`;
  const detail = [
    `Frees ${formatBytes(bytes)}${offsite?.plan.remove.length ? ' here' : ''}. ${formatCountOf(plan.keep.length, 'backup')} ${plan.keep.length === 1 ? 'stays' : 'stay'}, including the newest verified one of each kind.`,
    ...(offsite?.plan.remove.length
      ? [
          `Off-site in ${offsite.destination.describe()}: ${formatCountOf(offsite.plan.remove.length, 'copy', 'copies')} deleted, ${formatCount(offsite.plan.keep.length)} kept (lifeboat.offsite.retention).`,
        ]
      : []),
    'The preview lists every file and why. Deleted files and their manifests cannot be recovered.',
  ].join('\n');
  const choice = await lb.prompter.confirm(`Delete ${formatCountOf(remove, 'old backup')}?`, detail, action, 'Keep All');
  if (choice !== action) return undefined;
  const lockName = await settings.projectName();
  const result = await pruneBackups(dir, policies, { only: new Set(plan.remove.map((e) => e.path)), lockName, logger: lb.log });
  const remote = offsite?.plan.remove.length
    ? await pruneOffsite(offsite.destination, offsite.policies, { only: new Set(offsite.plan.remove.map((e) => e.path)), logger: lb.log })
    : undefined;
  lb.catalog.invalidate();
  const removed = result.removed.length + (remote?.removed.length ?? 0);
  const failures = result.failures.length + (remote?.failures.length ?? 0);
  const kept = remove - removed - failures;
  const parts = [
    `Deleted ${formatCountOf(removed, 'backup')}, freed ${formatBytes(result.freedBytes)}${remote ? ` here and ${formatBytes(remote.freedBytes)} off-site` : ''}.`,
  ];
  if (kept > 0) parts.push(`${formatCount(kept)} stayed because the backups changed since the preview.`);
  if (failures) {
    parts.push(`${formatCount(failures)} could not be deleted (see the log).`);
    void vscode.window.showWarningMessage(parts.join(' '), 'Show Log').then((p) => p && lb.log.show());
  } else {
    void vscode.window.showInformationMessage(parts.join(' '));
  }
  return result;
}

/** The off-site plan, when a destination is set and lifeboat.offsite.retention has a rule. */
async function offsitePlan(
  lb: Lifeboat,
): Promise<{ destination: Destination; policies: RetentionPolicies; plan: RetentionPlan } | undefined> {
  const settings = lb.stacks.settings;
  const policies = settings.offsiteRetention;
  if (!Object.values(policies).some((p) => Object.keys(p).length > 0)) return undefined;
  const destination = parseDestination(settings.offsiteDestination, commandOffsiteOptions(lb));
  if (!destination) return undefined;
  return { destination, policies, plan: await planOffsiteRetention(destination, policies) };
}
