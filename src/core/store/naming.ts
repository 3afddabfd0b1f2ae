/** File names compatible with the runbook: `<prefix>_backup_YYYYMMDD_HHMMSS.sql.gz` and friends. */

import { SettingsError } from '../common';

export type BackupKind = 'database' | 'config' | 'volume';
export type Encryption = 'age' | 'openssl';

export interface ParsedName {
  kind: BackupKind;
  /** Database prefix (the Compose project) or volume name. */
  subject?: string;
  /** UTC time from the name; config archives by the runbook carry only a date. */
  time: Date;
  encryption?: Encryption;
}

export const KIND_FOLDERS: Record<BackupKind, string> = {
  database: 'database',
  config: 'config',
  volume: 'volumes',
};

/** UTC `YYYYMMDD_HHMMSS`, the runbook's `date +"%Y%m%d_%H%M%S"` without its local-time trap. */
export function timestamp(date: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return (
    `${p(date.getUTCFullYear(), 4)}${p(date.getUTCMonth() + 1)}${p(date.getUTCDate())}_` +
    `${p(date.getUTCHours())}${p(date.getUTCMinutes())}${p(date.getUTCSeconds())}`
  );
}

export function databaseBackupName(prefix: string, date: Date): string {
  return `${backupPrefix(prefix)}_backup_${timestamp(date)}.sql.gz`;
}

/** Letters, digits, `.`, `_` and `-`, not starting with `.` (a hidden file) or `-` (an option). */
const PORTABLE = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;

/**
 * A database backup prefix as it goes into file names: unchanged, or refused. A prefix is the
 * series retention judges, and rewriting characters (as safeSegment does) would give "my app"
 * and "my-app" one series, so a cleanup for one could delete the other's backups. Compose
 * project names always pass; the Settings editor shows the same rule (package.json's pattern).
 */
export function backupPrefix(prefix: string): string {
  if (!prefix) return 'db';
  if (PORTABLE.test(prefix)) return prefix;
  const lossy = safeSegment(prefix);
  throw new SettingsError(
    `The backup prefix ${JSON.stringify(prefix)} cannot be used in file names: a prefix may have only letters, digits, ".", "_" and "-", and not start with "." or "-". ` +
      'Rewriting the other characters could give two prefixes the same names, and so one retention series.',
    `Set lifeboat.backupPrefix to such a name (or set it when the database or Compose project name is the prefix). Backups made with it before are named ${lossy}_backup_…; "${lossy}" continues that series.`,
  );
}

/**
 * Keeps a name to a portable alphabet, for names where a lossy rewrite is harmless (Docker
 * volume names already fit it; unit file names). Never for backup prefixes: see backupPrefix.
 */
export function safeSegment(value: string): string {
  const cleaned = value.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[.-]+/, '');
  return cleaned || 'db';
}

const TIME = '(\\d{8})(?:_(\\d{6}))?';
const ENC = '(?:\\.(age|enc))?';
const PATTERNS: { kind: BackupKind; re: RegExp }[] = [
  // `.dump`: a `pg_dump -Fc` custom-format archive, restored through pg_restore.
  { kind: 'database', re: new RegExp(`^(.+)_backup_${TIME}\\.(?:sql\\.gz|dump)${ENC}$`) },
  { kind: 'config', re: new RegExp(`^config()_${TIME}\\.tar\\.gz${ENC}$`) },
  { kind: 'volume', re: new RegExp(`^volume_(.+)_${TIME}\\.tar\\.gz${ENC}$`) },
];

/**
 * Recognises Lifeboat's and the runbook's names; anything else is not ours (contract 6 in
 * docs/contracts.md).
 */
export function parseBackupName(fileName: string): ParsedName | undefined {
  for (const { kind, re } of PATTERNS) {
    const m = fileName.match(re);
    if (!m) continue;
    const time = parseTime(m[2], m[3]);
    if (!time) return undefined;
    return {
      kind,
      subject: m[1] || undefined,
      time,
      encryption: m[4] === 'age' ? 'age' : m[4] === 'enc' ? 'openssl' : undefined,
    };
  }
  return undefined;
}

function parseTime(date: string, time: string | undefined): Date | undefined {
  const t = time ?? '000000';
  const d = new Date(Date.UTC(+date.slice(0, 4), +date.slice(4, 6) - 1, +date.slice(6, 8), +t.slice(0, 2), +t.slice(2, 4), +t.slice(4, 6)));
  return timestamp(d) === `${date}_${t}` ? d : undefined;
}

/**
 * Where a file being written waits until it is complete and checked (contract 1 in
 * docs/contracts.md).
 */
export function partialName(finalName: string): string {
  return `.${finalName}.partial`;
}

export function manifestName(fileName: string): string {
  return `${fileName}.json`;
}
