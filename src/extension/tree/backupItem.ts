import * as vscode from 'vscode';
import type { BackupEntry } from '../../core/store';
import { formatAge, formatBytes, formatCountOf, formatTime, formatWhen } from '../../core/common';
import { OffsiteState, offsiteCopyOf } from '../../core/offsite';

const STATE_ICONS: Record<BackupEntry['state'], vscode.ThemeIcon> = {
  verified: new vscode.ThemeIcon('pass-filled', new vscode.ThemeColor('testing.iconPassed')),
  failed: new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed')),
  unverified: new vscode.ThemeIcon('circle-large-outline'),
};

/**
 * One backup file. Its contextValue (`backup.<kind>.<state>[.encrypted]`) drives the menus.
 * `original` is set for an encrypted copy of a listed backup: the row under that backup;
 * `seconds` when another row of the group was taken in the same minute. `offsite`, when a
 * destination is set, says whether the backup also lives there.
 */
export class BackupItem extends vscode.TreeItem {
  constructor(
    readonly entry: BackupEntry,
    now: Date = new Date(),
    readonly original?: BackupEntry,
    seconds = false,
    offsite?: OffsiteState,
  ) {
    super(original ? `↳ encrypted (${entry.encryption})` : formatWhen(entry.createdAt, now, seconds), vscode.TreeItemCollapsibleState.None);
    this.id = entry.path;
    this.resourceUri = vscode.Uri.file(entry.path);
    // A destination that could not be listed says nothing about where the backup is.
    const place = !offsite
      ? undefined
      : offsiteCopyOf(offsite, entry.fileName)
        ? 'local + off-site'
        : offsite.problem
          ? 'off-site unknown'
          : 'local only';
    this.description = [description(entry, now, original), place].filter(Boolean).join(' · ');
    this.iconPath = entry.encryption ? new vscode.ThemeIcon('lock') : STATE_ICONS[entry.state];
    this.contextValue = `backup.${entry.kind}.${entry.state}${entry.encryption ? '.encrypted' : ''}`;
    this.tooltip = tooltip(entry, original);
    if (offsite) this.tooltip.appendMarkdown(`\n\n${whereItLives(entry, offsite)}`);
  }
}

/**
 * A narrow side bar cuts a row from its end, so what tells backups apart comes first: the time
 * in the label (the file name is in the tooltip), then the size, then the volume, and the age
 * last as it repeats the time. A copy's time and age are its original's, on the row above.
 */
function description(e: BackupEntry, now: Date, original: BackupEntry | undefined): string {
  if (original) return formatBytes(e.bytes);
  const parts = [formatBytes(e.bytes)];
  if (e.kind === 'volume' && e.subject) parts.push(e.subject);
  parts.push(formatAge(e.createdAt, now));
  return parts.join(' · ');
}

function tooltip(e: BackupEntry, original: BackupEntry | undefined): vscode.MarkdownString {
  const md = new vscode.MarkdownString(undefined, true);
  md.appendMarkdown(`**${e.fileName}**\n\n`);
  md.appendMarkdown(`Created ${formatTime(e.createdAt, true)} · ${formatBytes(e.bytes)}\n\n`);
  const m = e.manifest;
  if (!m) {
    md.appendMarkdown(
      e.manifestProblem
        ? `$(warning) ${e.manifestProblem}\n\n`
        : 'No manifest (made outside Lifeboat): no checksum or row counts to compare.\n\n',
    );
  } else {
    const src = m.source;
    if (src.database) md.appendMarkdown(`Database \`${src.database}\` in \`${src.container}\`${src.image ? ` (${src.image})` : ''}\n\n`);
    if (src.serverVersion) md.appendMarkdown(`PostgreSQL ${src.serverVersion} · pg_dump ${src.pgDumpVersion ?? '?'}\n\n`);
    if (m.tables) {
      const rows = Object.values(m.tables).reduce((a, b) => a + b, 0);
      md.appendMarkdown(`${formatCountOf(Object.keys(m.tables).length, 'table')} · ${formatCountOf(rows, 'row')}\n\n`);
    }
    if (m.alembicHead) md.appendMarkdown(`Alembic head \`${m.alembicHead.join(', ')}\`\n\n`);
    if (m.file.sha256) md.appendMarkdown(`sha256 \`${m.file.sha256.slice(0, 16)}…\`\n\n`);
    const last = m.verifications.at(-1);
    md.appendMarkdown(
      last
        ? `${last.ok ? '$(pass)' : '$(error)'} ${last.depth} verification ${last.ok ? 'passed' : 'failed'} ${formatTime(last.at)}${last.detail ? `: ${last.detail}` : '.'}`
        : 'Not verified yet.',
    );
  }
  if (e.encryption) md.appendMarkdown(`\n\n$(lock) Encrypted (${e.encryption})${original ? ` copy of \`${original.fileName}\`` : ''}`);
  return md;
}

function whereItLives(e: BackupEntry, offsite: OffsiteState): string {
  const copy = offsiteCopyOf(offsite, e.fileName);
  if (copy) return `$(cloud) Also off-site in ${offsite.where}: \`${copy.remotePath}\` (${formatBytes(copy.bytes)}).`;
  if (offsite.problem) return `$(warning) Off-site copies unknown: ${offsite.problem}`;
  return `$(circle-slash) Only on this machine: no copy in ${offsite.where} yet ("Lifeboat: Copy Off-site").`;
}
