import { KINDS, KindTotals, describeFailed, failedBackups, summarizeKinds } from '../store';
import type { BackupEntry, BackupKind } from '../store';
import { FreshnessSummary, formatAge, formatBytes, formatCount, formatTime, freshnessSummary } from '../common';
import type { VerifyResult } from '../verify';

export interface KindSummary extends KindTotals {
  /** The check of the newest backup made for this report, when there is one. */
  newestCheck?: { ok: boolean; depth: string; detail: string };
}

export interface Anomaly {
  kind: BackupKind;
  file: string;
  message: string;
}

export interface HealthReport {
  generatedAt: string;
  /** failing: a check failed or there is no database backup; warning: stale or an anomaly. */
  status: 'ok' | 'warning' | 'failing';
  freshness: FreshnessSummary;
  kinds: KindSummary[];
  totalBytes: number;
  disk?: { freeBytes: number; totalBytes: number };
  anomalies: Anomaly[];
  /** Why the status is not ok because of failed verifications, in words. */
  problems: string[];
  /** Every backup whose last verification failed (this report's own check, else its manifest's record). */
  failed: { kind: BackupKind; file: string; newestOfSeries: boolean; detail?: string }[];
}

export interface HealthInput {
  entries: BackupEntry[];
  now: Date;
  maxAgeHours: number;
  checks: Map<string, VerifyResult>;
  disk?: { freeBytes: number; totalBytes: number };
}

/**
 * The runbook's weekly checklist and status report in one: freshness of the newest database
 * backup, the newest of each kind checked, totals, free space, and backups much smaller than
 * the one before them (the complaint "backups reported successful while empty").
 */
export function buildHealthReport(input: HealthInput): HealthReport {
  const kinds: KindSummary[] = summarizeKinds(input.entries).map((totals) => {
    const newest = input.entries.find((e) => e.kind === totals.kind && e.fileName === totals.newest?.file);
    const check = newest ? input.checks.get(newest.path) : undefined;
    return {
      ...totals,
      newestCheck: check
        ? { ok: check.ok, depth: check.depth, detail: check.ok ? check.checks.join('; ') : (check.problem ?? 'failed') }
        : undefined,
    };
  });
  const anomalies: Anomaly[] = [];
  for (const kind of KINDS) {
    const of = input.entries.filter((e) => e.kind === kind).sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
    // Compare like with like: a volume's snapshot with the same volume's previous one.
    const bySubject = new Map<string, BackupEntry[]>();
    for (const e of of.filter((x) => !x.encryption)) bySubject.set(e.subject ?? '', [...(bySubject.get(e.subject ?? '') ?? []), e]);
    for (const series of bySubject.values()) {
      for (let i = 1; i < series.length; i++) {
        const before = series[i - 1];
        const after = series[i];
        if (before.bytes > 4096 && after.bytes < before.bytes / 2) {
          anomalies.push({
            kind,
            file: after.fileName,
            message: `${formatBytes(after.bytes)}, less than half of the one before it (${before.fileName}, ${formatBytes(before.bytes)})`,
          });
        }
      }
    }
  }
  const newestDb = kinds[0].newest ? new Date(kinds[0].newest.createdAt) : undefined;
  const fresh = freshnessSummary(newestDb, input.maxAgeHours, input.now);
  const state = fresh.state;
  const failedCheck = kinds.some((k) => k.newestCheck && !k.newestCheck.ok);
  const failed = failedBackups(input.entries, (e) => input.checks.get(e.path)?.ok);
  const words = describeFailed(failed);
  const problems = [words.newest, words.all].filter((p): p is string => !!p);
  const status =
    failedCheck || failed.newestOfSeries.length || state === 'none' || state === 'old'
      ? 'failing'
      : state === 'stale' || anomalies.length || failed.failed.length
        ? 'warning'
        : 'ok';
  return {
    generatedAt: input.now.toISOString(),
    status,
    freshness: fresh,
    kinds,
    totalBytes: kinds.reduce((a, k) => a + k.bytes, 0),
    disk: input.disk,
    anomalies,
    problems,
    failed: failed.failed.map((e) => ({
      kind: e.kind,
      file: e.fileName,
      newestOfSeries: failed.newestOfSeries.includes(e),
      detail: input.checks.get(e.path)?.problem ?? e.manifest?.verifications.at(-1)?.detail,
    })),
  };
}

const ICON = { ok: '✅', warning: '⚠️', failing: '❌' } as const;

export function renderHealthMarkdown(r: HealthReport): string {
  const lines: string[] = [];
  lines.push(`# Backup health: ${ICON[r.status]} ${r.status}`, '', `Generated ${formatTime(r.generatedAt)}`, '');
  const f = r.freshness;
  lines.push('## Freshness', '');
  lines.push(
    f.newest
      ? `${f.state === 'fresh' ? '✅' : '⚠️'} Newest database backup: ${formatTime(f.newest)}, ${formatAge(new Date(f.newest), new Date(r.generatedAt))} (limit ${f.maxAgeHours} h).`
      : '❌ No database backup at all.',
    '',
  );
  if (r.problems.length) {
    lines.push('## Needs attention', '');
    for (const p of r.problems) lines.push(`- ❌ ${p}`);
    lines.push('');
  }
  lines.push('## Backups', '', '| kind | count | size | oldest | newest | newest checked |', '|---|---|---|---|---|---|');
  for (const k of r.kinds) {
    const check = k.newestCheck ? `${k.newestCheck.ok ? '✅' : '❌'} ${k.newestCheck.depth}: ${k.newestCheck.detail}` : '–';
    lines.push(
      `| ${k.kind} | ${formatCount(k.count)} | ${formatBytes(k.bytes)} | ${k.oldest?.file ?? '–'} | ${k.newest?.file ?? '–'} | ${check.replace(/\|/g, '\\|')} |`,
    );
  }
  lines.push('', `Total: ${formatBytes(r.totalBytes)}.`);
  if (r.disk) lines.push(`Free space where the backups are: ${formatBytes(r.disk.freeBytes)} of ${formatBytes(r.disk.totalBytes)}.`);
  lines.push('', '## Anomalies', '');
  if (r.anomalies.length === 0) lines.push('None: no backup is much smaller than the one before it.');
  for (const a of r.anomalies) lines.push(`- ⚠️ ${a.kind} ${a.file}: ${a.message}`);
  if (r.failed.length) {
    lines.push('', '## Failed verifications', '');
    for (const f of r.failed)
      lines.push(`- ❌ ${f.kind} ${f.file}${f.newestOfSeries ? ' (newest of its series)' : ''}${f.detail ? `: ${f.detail}` : ''}`);
  }
  lines.push('');
  return lines.join('\n');
}
