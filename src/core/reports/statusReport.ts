import { KindTotals, describeFailed, failedBackups, summarizeKinds } from '../store';
import type { BackupEntry, DiskSpace, BackupKind } from '../store';
import { LeftStoppedFacts, leftStoppedNotice } from './notices';
import { FreshnessSummary, formatBytes, formatCount, formatCountOf, formatTime, freshnessSummary, quoteList } from '../common';

export interface ScheduleStatus {
  kind: BackupKind;
  cron: string;
  next?: string;
  last?: string;
  lastOk?: boolean;
}

/** The runbook's "Backup Status Report", without reading a single backup: instant, for the tree and `lifeboat status`. */
export interface StatusReport {
  generatedAt: string;
  backupDir: string;
  /** ok, or why not: what a monitoring job (`lifeboat status` exit code) needs. */
  status: 'ok' | 'warning' | 'failing';
  problems: string[];
  count: number;
  totalBytes: number;
  kinds: (KindTotals & { unverified: number; failed: number })[];
  freshness: FreshnessSummary;
  disk?: DiskSpace & { minFreeBytes: number; low: boolean };
  schedules: ScheduleStatus[];
  /** Containers interrupted operations left stopped, each as the user reads it. */
  leftStopped: string[];
  /** Scratch databases interrupted dry runs left, with the command that drops them. */
  scratch?: { names: string[]; dropCommand: string };
}

export interface StatusInput {
  backupDir: string;
  entries: BackupEntry[];
  now: Date;
  maxAgeHours: number;
  disk?: DiskSpace;
  minFreeBytes: number;
  schedules?: ScheduleStatus[];
  leftStopped?: LeftStoppedFacts[];
  scratch?: { names: string[]; dropCommand: string };
}

export function buildStatusReport(input: StatusInput): StatusReport {
  const kinds = summarizeKinds(input.entries).map((t) => ({
    ...t,
    unverified: input.entries.filter((e) => e.kind === t.kind && e.state === 'unverified').length,
    failed: input.entries.filter((e) => e.kind === t.kind && e.state === 'failed').length,
  }));
  const newestDb = kinds[0].newest ? new Date(kinds[0].newest.createdAt) : undefined;
  const fresh = freshnessSummary(newestDb, input.maxAgeHours, input.now);
  const state = fresh.state;
  const low = !!input.disk && input.minFreeBytes > 0 && input.disk.freeBytes < input.minFreeBytes;
  const problems: string[] = [];
  let status: StatusReport['status'] = 'ok';
  const worse = (s: 'warning' | 'failing', why: string) => {
    problems.push(why);
    if (status !== 'failing') status = s;
  };
  if (state === 'none') worse('failing', 'no database backup');
  else if (state === 'old') worse('failing', `the newest database backup is older than ${input.maxAgeHours * 2} h`);
  else if (state === 'stale') worse('warning', `the newest database backup is older than ${input.maxAgeHours} h`);
  if (low && input.disk)
    worse('warning', `low disk space: ${formatBytes(input.disk.freeBytes)} free, below ${formatBytes(input.minFreeBytes)}`);
  for (const s of input.schedules ?? []) if (s.lastOk === false) worse('warning', `the last scheduled ${s.kind} backup failed`);
  // A failed backup is one nobody can count on; when it is the newest of its series, the
  // series' latest state has no good copy at all, which is as bad as having no backup.
  const failed = describeFailed(failedBackups(input.entries));
  if (failed.newest) worse('failing', failed.newest);
  if (failed.all) worse('warning', failed.all);
  for (const l of input.leftStopped ?? []) worse('warning', `${quoteList(l.down)} left stopped by an interrupted ${l.operation}`);
  if (input.scratch?.names.length)
    worse('warning', `${formatCountOf(input.scratch.names.length, 'scratch database')} left by interrupted dry runs`);
  return {
    generatedAt: input.now.toISOString(),
    backupDir: input.backupDir,
    status,
    problems,
    count: input.entries.length,
    totalBytes: input.entries.reduce((a, e) => a + e.bytes, 0),
    kinds,
    freshness: fresh,
    disk: input.disk ? { ...input.disk, minFreeBytes: input.minFreeBytes, low } : undefined,
    schedules: input.schedules ?? [],
    leftStopped: (input.leftStopped ?? []).map(leftStoppedNotice),
    scratch: input.scratch?.names.length ? input.scratch : undefined,
  };
}

const time = (iso?: string) => (iso ? formatTime(iso) : '–');

/** Plain text for a terminal or a cron mail: aligned, no colour, no emoji. */
export function renderStatusText(r: StatusReport): string {
  const lines = [
    `Backup status: ${r.status.toUpperCase()}${r.problems.length ? ` (${r.problems.join('; ')})` : ''}`,
    `  Folder:       ${r.backupDir}`,
  ];
  lines.push(`  Total size:   ${formatBytes(r.totalBytes)} in ${formatCountOf(r.count, 'backup')}`);
  if (r.disk)
    lines.push(
      `  Free space:   ${formatBytes(r.disk.freeBytes)} of ${formatBytes(r.disk.totalBytes)}${r.disk.low ? ` (LOW: below ${formatBytes(r.disk.minFreeBytes)})` : ''}`,
    );
  for (const k of r.kinds) {
    const extra = [k.failed ? `${formatCount(k.failed)} failed` : '', k.unverified ? `${formatCount(k.unverified)} unverified` : '']
      .filter(Boolean)
      .join(', ');
    lines.push(
      `  ${k.kind.padEnd(9)} ${formatCount(k.count).padStart(6)} backups, ${formatBytes(k.bytes).padStart(8)}; oldest ${time(k.oldest?.createdAt)}; newest ${time(k.newest?.createdAt)}${extra ? ` (${extra})` : ''}`,
    );
  }
  for (const s of r.schedules)
    lines.push(
      `  schedule ${s.kind.padEnd(9)} ${s.cron}: next ${time(s.next)}, last ${time(s.last)}${s.lastOk === false ? ' (FAILED)' : ''}`,
    );
  for (const l of r.leftStopped) lines.push(`  Left stopped: ${l}`);
  if (r.scratch)
    lines.push(
      `  Scratch databases: ${quoteList(r.scratch.names)} (copies left by interrupted dry runs; the live database is not among them). Drop them with: ${r.scratch.dropCommand}`,
    );
  return lines.join('\n') + '\n';
}

/** The same report for a Markdown preview in VS Code. */
export function renderStatusMarkdown(r: StatusReport): string {
  // Words, not emoji: they read the same in every font and to screen readers.
  const word = { ok: 'OK', warning: 'WARNING', failing: 'FAILING' }[r.status];
  const lines = [`# Backup status: ${word}`, '', `Generated ${time(r.generatedAt)} · folder \`${r.backupDir}\``, ''];
  for (const p of r.problems) lines.push(`- **${word}:** ${p}`);
  for (const l of r.leftStopped) lines.push(`- ${l}`);
  if (r.scratch)
    lines.push(
      `- Scratch databases left by interrupted dry runs: ${quoteList(r.scratch.names)}. Drop them with \`${r.scratch.dropCommand}\`.`,
    );
  if (r.problems.length) lines.push('');
  lines.push(`**${formatCount(r.count)}** backup${r.count === 1 ? '' : 's'}, **${formatBytes(r.totalBytes)}** in total.`);
  if (r.disk)
    lines.push(
      `Free space: **${formatBytes(r.disk.freeBytes)}** of ${formatBytes(r.disk.totalBytes)}${r.disk.low ? `, **below the ${formatBytes(r.disk.minFreeBytes)}** of lifeboat.storage.minFreeMB` : ''}.`,
    );
  lines.push('', '| kind | count | size | oldest | newest | unverified | failed |', '|---|---|---|---|---|---|---|');
  for (const k of r.kinds)
    lines.push(
      `| ${k.kind} | ${formatCount(k.count)} | ${formatBytes(k.bytes)} | ${time(k.oldest?.createdAt)} | ${time(k.newest?.createdAt)} | ${formatCount(k.unverified)} | ${formatCount(k.failed)} |`,
    );
  if (r.schedules.length) {
    lines.push('', '## Schedules', '', '| kind | cron | next run | last run |', '|---|---|---|---|');
    for (const s of r.schedules)
      lines.push(`| ${s.kind} | \`${s.cron}\` | ${time(s.next)} | ${time(s.last)}${s.lastOk === false ? ' (failed)' : ''} |`);
  }
  lines.push('');
  return lines.join('\n');
}
