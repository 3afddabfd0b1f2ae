import { listBackups, diskSpace, interruptedStops } from '../../core/store';
import { LeftStopped, containersLeftStopped } from '../../core/stack';
import { plannedRuns, buildStatusReport, renderStatusText } from '../../core/reports';
import type { CliContext } from '../context';
import { EXIT, ExitCode } from '../exitCodes';

/** `lifeboat status [--json]`: the runbook's status report; exit 1 when something needs attention. */
export async function statusCommand(ctx: CliContext): Promise<ExitCode> {
  const backupDir = ctx.settings.backupDirectory;
  const now = new Date();
  const report = buildStatusReport({
    backupDir,
    entries: await listBackups(backupDir),
    now,
    maxAgeHours: ctx.settings.maxAgeHours,
    disk: await diskSpace(backupDir),
    minFreeBytes: ctx.settings.minFreeBytes,
    schedules: await plannedRuns(ctx.settings, now),
    leftStopped: await leftStopped(ctx, backupDir),
  });
  // Always printed, even with --quiet: asking for the status is asking for output.
  process.stdout.write(ctx.json ? `${JSON.stringify(report, null, 2)}\n` : renderStatusText(report));
  return report.status === 'ok' ? EXIT.ok : EXIT.failed;
}

/**
 * Containers an interrupted restore or snapshot left stopped. The engine is asked only when a
 * record of such a process is there, so a plain `status` still needs no Docker; when the
 * engine does not answer, the record is reported as it stands.
 */
async function leftStopped(ctx: CliContext, backupDir: string): Promise<LeftStopped[]> {
  const records = await interruptedStops(backupDir);
  if (!records.length) return [];
  try {
    return await containersLeftStopped(ctx.docker(), backupDir);
  } catch (err) {
    ctx.log.warn(`Could not ask the Docker engine which containers run: ${(err as Error).message}`);
    return records.map((r) => ({ ...r, down: r.stopped }));
  }
}
