import { basename } from 'node:path';
import { formatBytes, formatCount, formatCountOf, formatDuration, formatTime, plainText, quote, quoteList } from '../common';
import type { VerifyResult } from '../verify';

/**
 * The sentences the notifications say after a command, built here rather than in each command
 * so that one test holds them all to one style: sentence case, names in double quotes, counts
 * and sizes from the formatter, a full stop at the end, no Markdown.
 */

/** Ends a fragment as a sentence, unless it already is one. */
export function sentence(text: string): string {
  const t = text.trim();
  return /[.!?…]$/.test(t) ? t : `${t}.`;
}

/**
 * A core problem as a notification says it after naming the file: the path (or the file's name)
 * the problem starts with becomes "the file", so the name is not said twice and the full path,
 * kept in the log, does not crowd the notification.
 */
export function problemAbout(path: string, problem: string | undefined): string {
  if (!problem) return 'unknown error.';
  let p = problem.split(path).join('the file');
  const name = basename(path);
  const lead = [`${quote(name)} `, `${name} `].find((l) => p.startsWith(l));
  if (lead) p = `the file ${p.slice(lead.length)}`;
  return sentence(plainText(p));
}

function made(what: string, verified: string | undefined, encrypted: boolean): string {
  return `${what}${verified ? ` and verified${verified === 'plain' ? '' : ` (${verified})`}` : ''}${encrypted ? ' and encrypted' : ''}`;
}

export interface BackupCreated {
  path: string;
  verifiedDepth?: string;
  encrypted: boolean;
  bytes: number;
  tables: Record<string, number>;
}

export function backupCreatedNotice(b: BackupCreated): string {
  const rows = Object.values(b.tables).reduce((a, n) => a + n, 0);
  return `${made('Backup created', b.verifiedDepth, b.encrypted)}: ${quote(basename(b.path))} (${formatBytes(b.bytes)}, ${formatCountOf(Object.keys(b.tables).length, 'table')}, ${formatCountOf(rows, 'row')}).`;
}

export interface SnapshotCreated {
  path: string;
  verified: boolean;
  encrypted: boolean;
  bytes: number;
  /** Containers stopped for the copy and started again. */
  stopped: string[];
  /** Copied while running, by the user's choice. */
  live: boolean;
}

export function snapshotCreatedNotice(s: SnapshotCreated): string {
  const after = s.stopped.length
    ? ` ${quoteList(s.stopped)} ${s.stopped.length === 1 ? 'was' : 'were'} stopped for the copy and ${s.stopped.length === 1 ? 'is' : 'are'} running again.`
    : s.live
      ? ' Copied live, nothing stopped.'
      : '';
  return `${made('Snapshot created', s.verified ? 'plain' : undefined, s.encrypted)}: ${quote(basename(s.path))} (${formatBytes(s.bytes)}).${after}`;
}

export interface ConfigArchived {
  path: string;
  verified: boolean;
  encrypted: boolean;
  bytes: number;
  files: number;
  missing: string[];
  skipped: { path: string; reason: string }[];
}

export function configArchivedNotice(c: ConfigArchived): string {
  const parts = [
    `${made('Config archived', c.verified ? 'plain' : undefined, c.encrypted)}: ${quote(basename(c.path))} (${formatCountOf(c.files, 'file')}, ${formatBytes(c.bytes)}).`,
  ];
  if (c.missing.length) parts.push(`Not found, skipped: ${quoteList(c.missing)}.`);
  if (c.skipped.length) parts.push(`Left out: ${c.skipped.map((s) => `${quote(s.path)} (${s.reason})`).join(', ')}.`);
  return parts.join(' ');
}

export interface VolumeRestored {
  volume: string;
  file: string;
  durationMs: number;
  restarted: string[];
  /** The safety snapshot of the content replaced, when one was kept. */
  kept?: string;
}

export function volumeRestoredNotice(v: VolumeRestored): string {
  const running = v.restarted.length ? `; ${quoteList(v.restarted)} ${v.restarted.length === 1 ? 'is' : 'are'} running again` : '';
  const kept = v.kept ? ` The volume as it was is kept in ${quote(basename(v.kept))}.` : '';
  return `Restored ${quote(v.volume)} from ${quote(basename(v.file))} in ${formatDuration(v.durationMs)}${running}.${kept}`;
}

export function volumeRecreatedNotice(v: { volume: string; file: string; durationMs: number; note: string }): string {
  return `Restored ${quote(v.volume)} from ${quote(basename(v.file))} in ${formatDuration(v.durationMs)}. ${sentence(plainText(v.note))} Start the stack with "docker compose up -d".`;
}

export interface DatabaseRestored {
  live: string;
  file: string;
  preRestore: string;
  migration?: string[];
  healthMs?: number;
}

export function databaseRestoredNotice(d: DatabaseRestored): string {
  const parts = [`Restored ${quote(d.live)} from ${quote(basename(d.file))}.`, `The previous database is kept as ${quote(d.preRestore)}.`];
  if (d.migration) parts.push(`Migrations ran ("${d.migration.join(' ')}").`);
  if (d.healthMs !== undefined) parts.push(`Health check passed in ${formatDuration(d.healthMs)}.`);
  return parts.join(' ');
}

/** One file's verification, passed or failed, for a notification. */
export function verifyNotice(r: VerifyResult): string {
  const name = quote(basename(r.path));
  if (!r.ok) return `${name} failed ${r.depth} verification: ${problemAbout(r.path, r.problem)}`;
  const notes = r.notes.length ? ` Not checked: ${r.notes.join('; ')}.` : '';
  return plainText(`${name} passed ${r.depth} verification: ${r.checks.join('; ')}.${notes}`);
}

/** A backup just made that does not read back. */
export function newBackupFailedNotice(r: VerifyResult): string {
  return `The new backup ${quote(basename(r.path))} failed verification: ${problemAbout(r.path, r.problem)}`;
}

/** Verify All Backups' summary: the failed ones by name, the log has why. */
export function verifyAllNotice(results: VerifyResult[], depth: string): string {
  const failed = results.filter((r) => !r.ok);
  if (!failed.length) return `All ${formatCountOf(results.length, 'backup')} passed ${depth} verification.`;
  const shown = failed.slice(0, 5).map((r) => basename(r.path));
  const more = failed.length > shown.length ? ` and ${formatCount(failed.length - shown.length)} more` : '';
  return `${formatCount(failed.length)} of ${formatCountOf(results.length, 'backup')} failed verification: ${shown.map(quote).join(', ')}${more}. "Show Log" says why.`;
}

export interface LeftStoppedFacts {
  /** The containers still stopped. */
  down: string[];
  operation: string;
  pid: number;
  startedAt: string;
  /** The volume a snapshot or restore of it stopped them for. */
  volume?: string;
}

/**
 * Containers an interrupted operation (kill -9, a power cut) stopped and never started again,
 * as the next run says it, with the command that starts them. After a volume restore that command
 * comes with a warning: the restore may have left the volume half-swapped, which a snapshot or
 * restore of it checks first.
 */
export function leftStoppedNotice(l: LeftStoppedFacts): string {
  const one = l.down.length === 1;
  const what = `${l.operation}${l.volume ? ` of ${quote(l.volume)}` : ''}`;
  const said = `${quoteList(l.down)} ${one ? 'was' : 'were'} stopped by an interrupted ${what} (process ${l.pid}, started ${formatTime(l.startedAt)}) and ${one ? 'is' : 'are'} still stopped.`;
  const command = `"docker start ${l.down.join(' ')}"`;
  if (l.volume && l.operation === 'volume restore') {
    return `${said} A snapshot or restore of ${quote(l.volume)} starts ${one ? 'it' : 'them'} once it has checked that the restore left the volume whole; ${command} does not check.`;
  }
  return `${said} Start ${one ? 'it' : 'them'} with ${command}.`;
}

/** What a scheduled cleanup says in the log. */
export function cleanupLogLine(kind: string, removed: number, freedBytes: number): string {
  return `Scheduled cleanup of ${kind} backups: deleted ${formatCountOf(removed, 'file')}, freed ${formatBytes(freedBytes)}.`;
}
