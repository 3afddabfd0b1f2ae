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

/**
 * What the Backups view header counts: backups that can be restored, apart from those that
 * failed verification (or no longer match their manifest) and from encrypted copies of a
 * backup that is also there unencrypted, e.g. "3 backups (1 failed, 1 encrypted copy)".
 */
export function describeBackupCount(entries: BackupEntry[]): string {
  const paths = new Set(entries.map((e) => e.path));
  const failed = entries.filter((e) => e.state === 'failed').length;
  const copies = entries.filter((e) => e.state !== 'failed' && e.encryption && paths.has(e.path.replace(/\.(age|enc)$/, ''))).length;
  const usable = entries.length - failed - copies;
  const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
  const extra = [failed ? `${failed} failed` : '', copies ? plural(copies, 'encrypted copy', 'encrypted copies') : ''].filter(Boolean).join(', ');
  return `${plural(usable, 'backup', 'backups')}${extra ? ` (${extra})` : ''}`;
}
