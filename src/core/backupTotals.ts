import type { BackupEntry } from './catalog';
import type { BackupKind } from './naming';

export const KINDS: BackupKind[] = ['database', 'config', 'volume'];

/** The runbook's "Backup Status Report" figures for one kind. */
export interface KindTotals {
  kind: BackupKind;
  count: number;
  bytes: number;
  oldest?: { file: string; createdAt: string };
  newest?: { file: string; createdAt: string };
}

/** Count, size, oldest and newest per kind, by each backup's own time (not mtime). */
export function summarizeKinds(entries: BackupEntry[]): KindTotals[] {
  return KINDS.map((kind) => {
    const of = entries.filter((e) => e.kind === kind).sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
    const first = of[0];
    const last = of.at(-1);
    return {
      kind,
      count: of.length,
      bytes: of.reduce((a, e) => a + e.bytes, 0),
      oldest: first ? { file: first.fileName, createdAt: first.createdAt.toISOString() } : undefined,
      newest: last ? { file: last.fileName, createdAt: last.createdAt.toISOString() } : undefined,
    };
  });
}
