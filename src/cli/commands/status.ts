import { listBackups, diskSpace } from '../../core/store';
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
  });
  // Always printed, even with --quiet: asking for the status is asking for output.
  process.stdout.write(ctx.json ? `${JSON.stringify(report, null, 2)}\n` : renderStatusText(report));
  return report.status === 'ok' ? EXIT.ok : EXIT.failed;
}
