import type { BackupSource } from '../encryption';
import type { OperationOptions } from '../common';
import { readSourceEntries } from './safeExtract';

export interface TarFacts {
  /** Entries a restore would create (the root `./`, which creates nothing, is not counted). */
  entries: number;
  files: number;
  /** Sum of the regular files' sizes. */
  bytes: number;
  fileSha256: string;
  fileBytes: number;
}

/**
 * Reads a `.tar.gz` to the end exactly as a restore does, minus the writing: every gzip member,
 * every tar entry against contract 9 in docs/contracts.md, down to the end-of-archive marker. A
 * verified archive is then one the restore accepts, and a truncated, corrupt or unsafe one is found
 * now.
 */
export async function checkTarGz(source: BackupSource, opts: OperationOptions = {}): Promise<TarFacts> {
  const { entries, archiveBytes, archiveSha256 } = await readSourceEntries(source, opts);
  const files = entries.filter((e) => e.type === 'file');
  return {
    entries: entries.length,
    files: files.length,
    bytes: files.reduce((sum, e) => sum + e.size, 0),
    fileSha256: archiveSha256,
    fileBytes: archiveBytes,
  };
}
