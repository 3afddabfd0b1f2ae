import { stackBackup, stackBackupOptions, stackVerify } from '../../core/jobs';
import { formatBytes } from '../../core/common';
import { readManifest } from '../../core/store';
import type { BackupKind } from '../../core/store';
import type { CliContext } from '../context';
import { EXIT, ExitCode } from '../exitCodes';
import { UsageError } from '../usageError';

const KINDS: BackupKind[] = ['database', 'config', 'volume'];

/**
 * `lifeboat backup database|config|volume [--volume NAME]...`: made and checked exactly as a
 * scheduled run makes them, then verified as lifeboat.verify.onCreate says. Exit 1 when a new
 * backup fails its verification.
 */
export async function backupCommand(ctx: CliContext, args: string[], volumes: string[]): Promise<ExitCode> {
  const kind = args[0] as BackupKind;
  if (!KINDS.includes(kind) || args.length > 1)
    throw new UsageError(`backup needs one of: ${KINDS.join(', ')}.`, 'Example: lifeboat backup database --folder ~/sms');
  const opts = stackBackupOptions(ctx.settings, ctx.docker(), { logger: ctx.log, signal: ctx.signal, volumes });
  const paths = await stackBackup(opts)(kind);
  const depth = ctx.settings.verifyOnCreate;
  const verify = stackVerify(opts);
  let failed = false;
  for (const path of paths) {
    const v = depth === 'off' ? undefined : await verify(path, depth);
    const bytes = (await readManifest(path)).manifest?.file.bytes ?? 0;
    const check = v
      ? v.ok
        ? `verified (${v.depth})`
        : `FAILED verification (${v.depth}): ${v.problem}`
      : 'not verified (lifeboat.verify.onCreate is off)';
    if (v && !v.ok) {
      failed = true;
      ctx.log.error(`${path}: ${check}`);
    }
    if (ctx.json) ctx.out(JSON.stringify({ path, bytes, verified: v ? { ok: v.ok, depth: v.depth, problem: v.problem ?? null } : null }));
    else ctx.out(`${path}  ${formatBytes(bytes)}  ${check}`);
  }
  return failed ? EXIT.failed : EXIT.ok;
}
