import { runBackupJob } from '../../core/backupJob';
import { formatBytes } from '../../core/format';
import type { BackupKind } from '../../core/naming';
import type { CliContext } from '../context';
import { EXIT, ExitCode } from '../exitCodes';
import { UsageError } from '../usageError';

const KINDS: BackupKind[] = ['database', 'config', 'volume'];

/** `lifeboat backup database|config|volume [--volume NAME]...`: made, checked, then verified as the settings say. */
export async function backupCommand(ctx: CliContext, args: string[], volumes: string[]): Promise<ExitCode> {
  const kind = args[0] as BackupKind;
  if (!KINDS.includes(kind) || args.length > 1) throw new UsageError(`backup needs one of: ${KINDS.join(', ')}.`, 'Example: lifeboat backup database --folder ~/sms');
  const made = await runBackupJob(kind === 'config' ? undefined : ctx.docker(), ctx.settings, kind, { signal: ctx.signal, logger: ctx.log, volumes });
  let failed = false;
  for (const m of made) {
    const v = m.verified;
    if (v && !v.ok) failed = true;
    const check = v ? (v.ok ? `verified (${v.depth})` : `FAILED verification (${v.depth}): ${v.problem}`) : 'not verified (lifeboat.verify.onCreate is off)';
    if (v && !v.ok) ctx.log.error(`${m.path}: ${check}`);
    if (ctx.json) ctx.out(JSON.stringify({ path: m.path, bytes: m.manifest.file.bytes, sha256: m.manifest.file.sha256, verified: v ? { ok: v.ok, depth: v.depth, problem: v.problem } : null }));
    else ctx.out(`${m.path}  ${formatBytes(m.manifest.file.bytes)}  ${check}`);
  }
  return failed ? EXIT.failed : EXIT.ok;
}
