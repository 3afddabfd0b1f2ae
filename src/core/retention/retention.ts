import type { BackupEntry, BackupKind } from '../store';

/**
 * How long backups of one kind are kept. Rules add up: a backup stays when any rule keeps it.
 * A policy with no rule keeps everything.
 */
export interface RetentionPolicy {
  /** Keep backups younger than this many days (the runbook's rule). */
  maxAgeDays?: number;
  /** Keep the newest N. */
  keepLast?: number;
  /** Keep the newest backup of each of the last N days / ISO weeks / months that have one (UTC). */
  keepDaily?: number;
  keepWeekly?: number;
  keepMonthly?: number;
}

export type RetentionPolicies = Record<BackupKind, RetentionPolicy>;

/** The runbook's table: database 30 days, config 6 months, snapshots 4 weeks. */
export const RUNBOOK_RETENTION: RetentionPolicies = {
  database: { maxAgeDays: 30 },
  config: { maxAgeDays: 183 },
  volume: { maxAgeDays: 28 },
};

export interface RetentionDecision {
  entry: BackupEntry;
  keep: boolean;
  /** Why it stays (every rule that keeps it), or why it goes. */
  reasons: string[];
}

/** One series: backups of one kind and subject (a database prefix, a volume), judged together. */
export interface SeriesPlan {
  kind: BackupKind;
  subject?: string;
  policy: RetentionPolicy;
  decisions: RetentionDecision[];
}

export interface RetentionPlan {
  now: Date;
  series: SeriesPlan[];
  keep: BackupEntry[];
  remove: BackupEntry[];
}

const DAY_MS = 86_400_000;

export function hasRules(p: RetentionPolicy): boolean {
  return [p.maxAgeDays, p.keepLast, p.keepDaily, p.keepWeekly, p.keepMonthly].some((v) => v !== undefined);
}

export function describePolicy(p: RetentionPolicy): string {
  if (!hasRules(p)) return 'keep everything (no rule set)';
  const parts: string[] = [];
  if (p.maxAgeDays !== undefined) parts.push(`${p.maxAgeDays} days`);
  if (p.keepLast !== undefined) parts.push(`last ${p.keepLast}`);
  if (p.keepDaily !== undefined) parts.push(`${p.keepDaily} daily`);
  if (p.keepWeekly !== undefined) parts.push(`${p.keepWeekly} weekly`);
  if (p.keepMonthly !== undefined) parts.push(`${p.keepMonthly} monthly`);
  return parts.join(', ');
}

/**
 * Decides what a cleanup keeps and deletes, and why, without touching anything (contract 6 in
 * docs/contracts.md): the newest verified backup of each series and the newest backup of each
 * series always stay, so a schedule that silently stopped never turns a cleanup into "delete
 * everything" (the runbook's `find -mtime +30 -delete`). Ages come from the backup's own time
 * (manifest or name), not mtime, which a copy resets. Only catalogued files, i.e. Lifeboat's names,
 * can appear.
 */
export function planRetention(entries: BackupEntry[], policies: RetentionPolicies, now: Date): RetentionPlan {
  const groups = new Map<string, BackupEntry[]>();
  for (const e of entries) {
    const key = `${e.kind}\u0000${e.subject ?? ''}`;
    groups.set(key, [...(groups.get(key) ?? []), e]);
  }
  const series: SeriesPlan[] = [];
  for (const group of groups.values()) {
    const sorted = [...group].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || a.fileName.localeCompare(b.fileName));
    const { kind, subject } = sorted[0];
    const policy = policies[kind] ?? {};
    series.push({ kind, subject, policy, decisions: decideSeries(sorted, policy, now) });
  }
  const order: BackupKind[] = ['database', 'config', 'volume'];
  series.sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind) || (a.subject ?? '').localeCompare(b.subject ?? ''));
  const all = series.flatMap((s) => s.decisions);
  return { now, series, keep: all.filter((d) => d.keep).map((d) => d.entry), remove: all.filter((d) => !d.keep).map((d) => d.entry) };
}

/** `sorted` is newest first. */
function decideSeries(sorted: BackupEntry[], policy: RetentionPolicy, now: Date): RetentionDecision[] {
  const reasons = new Map<BackupEntry, string[]>(sorted.map((e) => [e, []]));
  const keep = (e: BackupEntry, why: string) => reasons.get(e)!.push(why);

  const newestVerified = sorted.find((e) => e.state === 'verified');
  if (newestVerified) keep(newestVerified, 'newest verified backup (always kept)');
  keep(sorted[0], 'newest backup (always kept)');

  if (!hasRules(policy)) {
    for (const e of sorted) keep(e, 'no retention rule set');
  }
  for (const e of sorted) {
    // A clock set back, or a backup from another machine's future: not ours to judge by age.
    if (e.createdAt.getTime() > now.getTime() + 60_000) keep(e, 'dated in the future');
  }
  if (policy.maxAgeDays !== undefined) {
    const limit = now.getTime() - policy.maxAgeDays * DAY_MS;
    for (const e of sorted) if (e.createdAt.getTime() >= limit) keep(e, `younger than ${policy.maxAgeDays} days`);
  }
  // A failed backup restores nothing: it never takes the place of a good one in a count.
  const usable = sorted.filter((e) => e.state !== 'failed');
  if (policy.keepLast !== undefined)
    usable.slice(0, Math.max(0, policy.keepLast)).forEach((e, i) => keep(e, `last ${policy.keepLast} (#${i + 1})`));
  bucketRule(usable, policy.keepDaily, 'daily', dayKey, keep);
  bucketRule(usable, policy.keepWeekly, 'weekly', weekKey, keep);
  bucketRule(usable, policy.keepMonthly, 'monthly', monthKey, keep);

  const maxAge = policy.maxAgeDays;
  return sorted.map((entry) => {
    const why = reasons.get(entry)!;
    if (why.length) return { entry, keep: true, reasons: why };
    const gone: string[] = [];
    if (entry.state === 'failed') gone.push('failed verification');
    if (maxAge !== undefined) gone.push(`older than ${maxAge} days (${ageDays(entry, now)} days)`);
    if (
      policy.keepLast !== undefined ||
      policy.keepDaily !== undefined ||
      policy.keepWeekly !== undefined ||
      policy.keepMonthly !== undefined
    ) {
      gone.push('not among the backups the count rules keep');
    }
    return { entry, keep: false, reasons: gone };
  });
}

function bucketRule(
  usable: BackupEntry[],
  count: number | undefined,
  label: string,
  key: (d: Date) => string,
  keep: (e: BackupEntry, why: string) => void,
): void {
  if (count === undefined || count <= 0) return;
  const seen = new Set<string>();
  for (const e of usable) {
    const k = key(e.createdAt);
    if (seen.has(k)) continue;
    if (seen.size >= count) break;
    seen.add(k);
    keep(e, `${label} ${k}`);
  }
}

function ageDays(e: BackupEntry, now: Date): number {
  return Math.floor((now.getTime() - e.createdAt.getTime()) / DAY_MS);
}

export function dayKey(d: Date): string {
  return d.toISOString().slice(0, 10);
}

export function monthKey(d: Date): string {
  return d.toISOString().slice(0, 7);
}

/** ISO 8601 week, e.g. `2026-W48`: weeks start on Monday; week 1 holds the year's first Thursday. */
export function weekKey(d: Date): string {
  const day = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  const weekday = day.getUTCDay() || 7;
  day.setUTCDate(day.getUTCDate() + 4 - weekday);
  const yearStart = Date.UTC(day.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((day.getTime() - yearStart) / DAY_MS + 1) / 7);
  return `${day.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}
