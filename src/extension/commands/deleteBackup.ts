import { promises as fs } from 'node:fs';
import { basename } from 'node:path';
import { fsError, formatAge, formatBytes } from '../../core/common';
import { manifestPath } from '../../core/store';
import { quote } from '../../core/reports';
import type { Lifeboat } from '../lifeboat';
import { backupTarget } from './backupTarget';

/** Deletes one backup and its manifest after a modal that says what is lost. Resolves true when deleted. */
export async function deleteBackup(lb: Lifeboat, arg?: unknown): Promise<boolean> {
  const path = backupTarget(arg).fsPath;
  const entries = await lb.catalog.get();
  const entry = entries.find((e) => e.path === path);
  const st = await fs.stat(path).catch((err) => {
    throw fsError(err, 'read', path);
  });
  const sameKind = entry ? entries.filter((e) => e.kind === entry.kind) : [];
  const warnings: string[] = [];
  if (entry && sameKind[0]?.path === path) warnings.push(`It is your newest ${entry.kind} backup.`);
  if (entry && sameKind.length === 1) warnings.push(`It is your only ${entry.kind} backup.`);
  const detail = [
    `${formatBytes(st.size)}, ${formatAge(entry?.createdAt ?? st.mtime)}. The file and its manifest are removed; this cannot be undone.`,
    ...warnings,
  ].join('\n');
  const choice = await lb.prompter.confirm(`Delete ${quote(basename(path))}?`, detail, 'Delete', 'Keep Backup');
  if (choice !== 'Delete') return false;
  try {
    await fs.rm(path);
    await fs.rm(manifestPath(path), { force: true });
  } catch (err) {
    throw fsError(err, 'delete the backup', path);
  }
  lb.log.info(`Deleted ${path}`);
  lb.catalog.invalidate();
  return true;
}
