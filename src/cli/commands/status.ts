import { listBackups, diskSpace, interruptedStops } from '../../core/store';
import { LeftStopped, containersLeftStopped, discoverStack } from '../../core/stack';
import { dropScratchCommand, scratchDatabases } from '../../core/database';
import { pingDocker } from '../../core/docker';
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
    scratch: await scratchLeft(ctx),
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

/**
 * Scratch databases interrupted dry runs left beside the live one, with the command that drops
 * them. Needs the engine and the stack: when either is not there, the status goes on without.
 */
async function scratchLeft(ctx: CliContext): Promise<{ names: string[]; dropCommand: string } | undefined> {
  try {
    const docker = ctx.docker();
    await pingDocker(docker, 3000);
    const stack = await discoverStack(docker, ctx.settings.discovery);
    const target = { container: docker.getContainer(stack.db.id), user: stack.db.user, database: stack.db.database };
    const names = (await scratchDatabases(target, stack.db.database)).map((d) => d.name);
    return names.length ? { names, dropCommand: dropScratchCommand(stack.db.name, stack.db.user, names) } : undefined;
  } catch (err) {
    ctx.log.info(`Scratch databases not checked: ${(err as Error).message}`);
    return undefined;
  }
}
