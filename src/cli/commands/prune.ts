import { listBackups } from '../../core/store';
import { formatBytes, formatCount, formatCountOf } from '../../core/common';
import { pruneBackups, RetentionPlan, describePolicy, planRetention } from '../../core/retention';
import { parseDestination, planOffsiteRetention, pruneOffsite } from '../../core/offsite';
import type { CliContext } from '../context';
import { EXIT, ExitCode } from '../exitCodes';

/**
 * `lifeboat prune [--dry-run]`: retention by lifeboat.retention.*, with every decision and its
 * reason printed. A cron job has no one to ask, so the rules themselves are the confirmation;
 * --dry-run is the preview. With lifeboat.offsite.retention.* set, the off-site copies are
 * pruned the same way after the local folder.
 */
export async function pruneCommand(ctx: CliContext, dryRun: boolean): Promise<ExitCode> {
  const backupDir = ctx.settings.backupDirectory;
  const policies = ctx.settings.retention;
  let failed = false;
  if (dryRun) print(ctx, planRetention(await listBackups(backupDir), policies, new Date()), true);
  else {
    const lockName = await ctx.settings.projectName();
    const r = await pruneBackups(backupDir, policies, { lockName, signal: ctx.signal, logger: ctx.log });
    print(ctx, r.plan, false);
    for (const f of r.failures) ctx.log.error(`Could not delete ${f.path}: ${f.message}`);
    if (!ctx.json) ctx.out(`Deleted ${formatCountOf(r.removed.length, 'backup')}, freed ${formatBytes(r.freedBytes)}.`);
    failed = r.failures.length > 0;
  }
  const offsitePolicies = ctx.settings.offsiteRetention;
  const destination = parseDestination(ctx.settings.offsiteDestination);
  if (!destination || !Object.values(offsitePolicies).some((p) => Object.keys(p).length > 0)) return failed ? EXIT.failed : EXIT.ok;
  if (!ctx.json) ctx.out(`Off-site, ${destination.describe()}:`);
  if (dryRun) print(ctx, await planOffsiteRetention(destination, offsitePolicies), true, destination.describe());
  else {
    const r = await pruneOffsite(destination, offsitePolicies, { signal: ctx.signal, logger: ctx.log });
    print(ctx, r.plan, false, destination.describe());
    for (const f of r.failures) ctx.log.error(`Could not delete ${f.path} at ${destination.describe()}: ${f.message}`);
    if (!ctx.json)
      ctx.out(`Deleted ${formatCountOf(r.removed.length, 'off-site copy', 'off-site copies')}, freed ${formatBytes(r.freedBytes)}.`);
    failed ||= r.failures.length > 0;
  }
  return failed ? EXIT.failed : EXIT.ok;
}

function print(ctx: CliContext, plan: RetentionPlan, dryRun: boolean, offsite?: string): void {
  if (ctx.json) {
    ctx.out(
      JSON.stringify({
        dryRun,
        ...(offsite ? { offsite } : {}),
        series: plan.series.map((s) => ({
          kind: s.kind,
          subject: s.subject ?? null,
          policy: s.policy,
          decisions: s.decisions.map((d) => ({ path: d.entry.path, keep: d.keep, reasons: d.reasons })),
        })),
      }),
    );
    return;
  }
  for (const s of plan.series) {
    ctx.out(`${s.kind}${s.subject ? ` ${s.subject}` : ''}: ${describePolicy(s.policy)}`);
    for (const d of s.decisions)
      ctx.out(`  ${d.keep ? 'keep  ' : dryRun ? 'would delete' : 'delete'}  ${d.entry.fileName}  (${d.reasons.join('; ')})`);
  }
  if (dryRun)
    ctx.out(
      `Would delete ${formatCount(plan.remove.length)} of ${formatCountOf(plan.keep.length + plan.remove.length, 'backup')}, freeing ${formatBytes(plan.remove.reduce((a, e) => a + e.bytes, 0))}. Nothing was deleted (--dry-run).`,
    );
}
