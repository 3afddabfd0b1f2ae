import { plaintextPath, type BackupEntry } from './catalog';
import type { BackupKind } from './naming';
import { formatCountOf } from '../common';

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

/** Backups whose last recorded verification failed, and among them those that are the newest of their series. */
export interface FailedBackups {
  failed: BackupEntry[];
  /** A series (kind and subject, as retention groups them) whose newest backup failed has no trustworthy latest copy. */
  newestOfSeries: BackupEntry[];
}

/**
 * `override` gives a fresher verdict than the manifest for some paths (a health check's own
 * check of the newest backups), so a backup re-checked just now is judged by that check.
 */
export function failedBackups(entries: BackupEntry[], override?: (e: BackupEntry) => boolean | undefined): FailedBackups {
  const isFailed = (e: BackupEntry) => {
    const fresh = override?.(e);
    return fresh === undefined ? e.state === 'failed' : !fresh;
  };
  const newest = new Map<string, BackupEntry>();
  for (const e of entries) {
    const key = `${e.kind}\u0000${e.subject ?? ''}`;
    const seen = newest.get(key);
    if (
      !seen ||
      e.createdAt.getTime() > seen.createdAt.getTime() ||
      (e.createdAt.getTime() === seen.createdAt.getTime() && e.fileName.localeCompare(seen.fileName) < 0)
    )
      newest.set(key, e);
  }
  const failed = entries.filter(isFailed);
  const heads = new Set(newest.values());
  return { failed, newestOfSeries: failed.filter((e) => heads.has(e)) };
}

/** The words both reports use: the failed newest backups by name, then a count of all failed ones per kind. */
export function describeFailed(f: FailedBackups): { newest?: string; all?: string } {
  const out: { newest?: string; all?: string } = {};
  if (f.newestOfSeries.length) {
    const names = f.newestOfSeries.map((e) => e.fileName).join(', ');
    out.newest = `the newest backup of ${f.newestOfSeries.length === 1 ? 'a series' : `${f.newestOfSeries.length} series`} failed verification: ${names}`;
  }
  if (f.failed.length) {
    const per = KINDS.map((k) => [k, f.failed.filter((e) => e.kind === k).length] as const).filter(([, n]) => n > 0);
    out.all = `${formatCountOf(f.failed.length, 'backup')} failed verification (${per.map(([k, n]) => `${n} ${k}`).join(', ')})`;
  }
  return out;
}

/**
 * What the Backups view header counts: backups that can be restored, apart from those that
 * failed verification (or no longer match their manifest) and from encrypted copies of a
 * backup that is also there unencrypted, e.g. "3 backups (1 failed, 1 encrypted copy)".
 */
export function describeBackupCount(entries: BackupEntry[]): string {
  const paths = new Set(entries.map((e) => e.path));
  const failed = entries.filter((e) => e.state === 'failed').length;
  const copies = entries.filter((e) => e.state !== 'failed' && paths.has(plaintextPath(e) ?? '')).length;
  const usable = entries.length - failed - copies;
  const plural = (n: number, one: string, many: string) => formatCountOf(n, one, many);
  const extra = [failed ? `${failed} failed` : '', copies ? plural(copies, 'encrypted copy', 'encrypted copies') : '']
    .filter(Boolean)
    .join(', ');
  return `${plural(usable, 'backup', 'backups')}${extra ? ` (${extra})` : ''}`;
}
