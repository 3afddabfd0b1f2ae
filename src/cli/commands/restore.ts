import { basename, resolve } from 'node:path';
import { formatCount, formatCountOf } from '../../core/common';
import { DryRunSummary, restoreDatabase } from '../../core/database';
import { fileKeys } from '../../core/encryption';
import { describeOtherSessions } from '../../core/postgres';
import { databaseRestoredNotice, quote } from '../../core/reports';
import { discoverStack } from '../../core/stack';
import type { CliContext } from '../context';
import { EXIT, ExitCode } from '../exitCodes';
import { UsageError } from '../usageError';
import { restoreConfigCommand } from './restoreConfig';
import { restoreVolumeCommand } from './restoreVolume';

/**
 * `lifeboat restore database FILE [--replace NAME]`: the extension's Restore Database for a
 * server without VS Code. Without --replace it is a dry run (scratch database, row counts
 * proved, nothing replaced); --replace with the live database's name typed out is the command
 * line's form of the typed confirmation. Then the same swap, migrations and health check, and
 * the previous database is kept as `<db>_pre_restore_<time>`.
 */
export async function restoreCommand(ctx: CliContext, args: string[], replace: string | undefined): Promise<ExitCode> {
  const [kind, file, ...extra] = args;
  if ((kind !== 'database' && kind !== 'volume' && kind !== 'config') || !file || extra.length) {
    throw new UsageError(
      'restore needs: database FILE, volume FILE or config FILE.',
      'Example: lifeboat restore database backups/database/sms_backup_20261127_020000.sql.gz (a dry run); add --replace sms_db to replace the live database. Likewise lifeboat restore volume backups/volumes/FILE.tar.gz, then --replace VOLUME.',
    );
  }
  if (kind === 'volume') return restoreVolumeCommand(ctx, file, replace);
  if (kind === 'config') return restoreConfigCommand(ctx, file, replace);
  const path = resolve(file);
  const stack = await discoverStack(ctx.docker(), ctx.settings.discovery);
  const live = stack.db.database;
  // Checked before anything runs: a typo must not cost a dry run and then fail.
  if (replace !== undefined && replace !== live) {
    throw new UsageError(`--replace names "${replace}", but the live database is "${live}".`, `Type --replace ${live} to replace it.`);
  }
  const result = await restoreDatabase(ctx.docker(), stack, {
    file: path,
    backupDir: ctx.settings.backupDirectory,
    keys: fileKeys(ctx.settings.encryptionKeyFiles),
    appServices: ctx.settings.appServices,
    migration: ctx.settings.migration,
    health: ctx.settings.health,
    signal: ctx.signal,
    logger: ctx.log,
    confirm: async (summary) => {
      for (const line of summaryLines(summary)) ctx.out(line);
      return replace === live;
    },
  });
  if (result.status === 'declined') {
    ctx.out(`Dry run only: "${live}" was not changed. To replace it with ${quote(basename(path))}, run again with --replace ${live}.`);
    return EXIT.ok;
  }
  ctx.out(
    databaseRestoredNotice({
      live,
      file: path,
      preRestore: result.preRestore,
      migration: result.migration?.argv,
      healthMs: result.health?.ms,
    }),
  );
  return EXIT.ok;
}

function summaryLines(s: DryRunSummary): string[] {
  const rows = (t: Record<string, number>) => formatCount(Object.values(t).reduce((a, b) => a + b, 0));
  return [
    `Dry run passed: ${formatCountOf(Object.keys(s.tables).length, 'table')} and ${rows(s.tables)} rows restored into "${s.scratch}" and matched the backup.`,
    `The live database "${s.live}" holds about ${rows(s.liveTables)} rows; a restore renames it, it is not dropped.`,
    ...(s.otherSessions ? describeOtherSessions(s.otherSessions, s.live) : []),
  ];
}
