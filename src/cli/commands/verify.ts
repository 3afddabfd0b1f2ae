import { resolve } from 'node:path';
import { BackupEntry, listBackups, KINDS } from '../../core/store';
import { Stack, discoverStack } from '../../core/stack';
import { isKeyProblem, fileKeys } from '../../core/encryption';
import { LifeboatError, isCancelled } from '../../core/common';
import { VerifyDepth, verifyBackup } from '../../core/verify';
import type { CliContext } from '../context';
import { EXIT, ExitCode } from '../exitCodes';

/**
 * `lifeboat verify [FILE...] [--all] [--depth quick|full]`: the named files, every backup, or
 * by default the newest of each kind (the runbook's weekly check). Results go into each
 * manifest, as in VS Code. Encrypted backups are read through lifeboat.encryption.keyFile or
 * .identityFile (nothing is asked); one without a usable key counts as failed and is not
 * recorded. Exit 1 when any file fails.
 */
export async function verifyCommand(ctx: CliContext, files: string[], all: boolean, depth: VerifyDepth): Promise<ExitCode> {
  const backupDir = ctx.settings.backupDirectory;
  let paths: string[];
  if (files.length) paths = files.map((f) => resolve(f));
  else {
    const entries = await listBackups(backupDir);
    paths = (all ? entries : KINDS.map((k) => entries.find((e: BackupEntry) => e.kind === k)).filter((e): e is BackupEntry => !!e)).map(
      (e) => e.path,
    );
    if (paths.length === 0) throw new LifeboatError(`No backups in ${backupDir}.`, 'Make one with: lifeboat backup database');
  }
  // The test restore needs the database container; a quick check needs nothing but the file.
  let stack: Stack | undefined;
  if (depth === 'full' && paths.some((p) => /\.(sql\.gz|dump)(\.(age|enc))?$/.test(p)))
    stack = await discoverStack(ctx.docker(), ctx.settings.discovery);
  let failed = 0;
  const keys = fileKeys(ctx.settings.encryptionKeyFiles);
  for (const path of paths) {
    let r;
    try {
      r = await verifyBackup(path, { depth, signal: ctx.signal, logger: ctx.log, docker: stack ? ctx.docker() : undefined, stack, keys });
    } catch (err) {
      if (isCancelled(err) || !isKeyProblem(err)) throw err;
      const e = err as LifeboatError;
      r = {
        path,
        depth,
        ok: false,
        checks: [] as string[],
        notes: [] as string[],
        problem: `not verified, the key does not open it: ${e.message}${e.hint ? ` ${e.hint}` : ''}`,
      };
    }
    if (!r.ok) failed++;
    if (ctx.json) ctx.out(JSON.stringify({ path, ok: r.ok, depth: r.depth, checks: r.checks, notes: r.notes, problem: r.problem ?? null }));
    else if (r.ok)
      ctx.out(`OK      ${path} (${r.depth}: ${r.checks.join('; ')})${r.notes.length ? ` [not checked: ${r.notes.join('; ')}]` : ''}`);
    if (!r.ok) {
      if (!ctx.json) ctx.out(`FAILED  ${path} (${r.depth}): ${r.problem}`);
      ctx.log.error(`${path} failed verification: ${r.problem}`);
    }
  }
  return failed ? EXIT.failed : EXIT.ok;
}
