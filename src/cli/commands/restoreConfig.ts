import { basename, resolve } from 'node:path';
import { removeStaging, safeExtract } from '../../core/archive';
import { LifeboatError, formatCountOf, quote } from '../../core/common';
import { applyFiles, compareWithWorkspace } from '../../core/config';
import type { FileComparison } from '../../core/config';
import { fileKeys } from '../../core/encryption';
import { readManifest } from '../../core/store';
import type { CliContext } from '../context';
import { EXIT, ExitCode } from '../exitCodes';
import { UsageError } from '../usageError';

/**
 * `lifeboat restore config FILE [--replace FOLDER]`: the extension's Restore Config without its
 * review list. The archive is extracted to a private staging folder (contract 9 in
 * docs/contracts.md) and compared with the project folder; without --replace that comparison is
 * all (nothing is written). --replace with the project folder's name typed out writes every file
 * that differs, each replaced one kept beside it as `<name>.bak`.
 */
export async function restoreConfigCommand(ctx: CliContext, file: string, replace: string | undefined): Promise<ExitCode> {
  const path = resolve(file);
  const workspace = ctx.folder;
  const folderName = basename(workspace);
  if (replace !== undefined && replace !== folderName) {
    throw new UsageError(
      `--replace names "${replace}", but the config of ${quote(basename(path))} is restored into the folder "${folderName}" (${workspace}). Nothing was changed.`,
      `Type --replace ${folderName} to write the files there, or give the right folder with --folder.`,
    );
  }
  const { manifest } = await readManifest(path);
  if (manifest && manifest.kind !== 'config') {
    throw new LifeboatError(`"${basename(path)}" is a ${manifest.kind} backup, not a config archive.`, 'Choose a config archive.');
  }
  const staged = await safeExtract(path, { signal: ctx.signal, logger: ctx.log, keys: fileKeys(ctx.settings.encryptionKeyFiles) });
  try {
    const comparisons = await compareWithWorkspace(staged.dir, workspace, staged.entries, { signal: ctx.signal });
    const differing = comparisons.filter((c) => c.status !== 'identical');
    if (replace === undefined || differing.length === 0) {
      for (const c of comparisons) ctx.out(line(c));
      ctx.out(
        differing.length === 0
          ? `Every file in ${quote(basename(path))} is identical to the one in ${workspace}. Nothing to restore.`
          : `Dry run only: no file in ${workspace} was changed. To write the ${formatCountOf(differing.length, 'file')} that ${differing.length === 1 ? 'differs' : 'differ'} (each replaced one kept as <name>.bak), run again with --replace ${folderName}.`,
      );
      return EXIT.ok;
    }
    const applied = await applyFiles(
      staged.dir,
      workspace,
      differing.map((c) => c.path),
      staged.entries,
      { signal: ctx.signal },
    );
    for (const a of applied)
      ctx.out(a.action === 'replaced' ? `REPLACED ${a.path} (the previous copy is ${basename(a.backup ?? '')})` : `CREATED  ${a.path}`);
    ctx.out(`Restored ${formatCountOf(applied.length, 'config file')} from ${quote(basename(path))}. Restart the stack to use them.`);
    return EXIT.ok;
  } finally {
    await removeStaging(staged.dir);
  }
}

function line(c: FileComparison): string {
  if (c.status === 'new') return `NEW      ${c.path} (not in the folder)`;
  if (c.status === 'identical') return `SAME     ${c.path}`;
  return `CHANGED  ${c.path} (${c.reason ?? 'content'})`;
}
