import { listBackups } from '../../core/store';
import { formatBytes, formatCount, formatCountOf } from '../../core/common';
import { pruneBackups, RetentionPlan, describePolicy, planRetention } from '../../core/retention';
import type { CliContext } from '../context';
import { EXIT, ExitCode } from '../exitCodes';

/**
 * `lifeboat prune [--dry-run]`: retention by lifeboat.retention.*, with every decision and its
 * reason printed. A cron job has no one to ask, so the rules themselves are the confirmation;
 * --dry-run is the preview.
 */
export async function pruneCommand(ctx: CliContext, dryRun: boolean): Promise<ExitCode> {
  const backupDir = ctx.settings.backupDirectory;
  const policies = ctx.settings.retention;
  if (dryRun) {
    const plan = planRetention(await listBackups(backupDir), policies, new Date());
    print(ctx, plan, true);
    return EXIT.ok;
  }
  const lockName = await ctx.settings.projectName();
  const r = await pruneBackups(backupDir, policies, { lockName, signal: ctx.signal, logger: ctx.log });
  print(ctx, r.plan, false);
  for (const f of r.failures) ctx.log.error(`Could not delete ${f.path}: ${f.message}`);
  if (!ctx.json) ctx.out(`Deleted ${formatCountOf(r.removed.length, 'backup')}, freed ${formatBytes(r.freedBytes)}.`);
  return r.failures.length ? EXIT.failed : EXIT.ok;
}

function print(ctx: CliContext, plan: RetentionPlan, dryRun: boolean): void {
  if (ctx.json) {
    ctx.out(
      JSON.stringify({
        dryRun,
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
