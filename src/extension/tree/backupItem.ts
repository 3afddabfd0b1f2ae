import * as vscode from 'vscode';
import type { BackupEntry } from '../../core/catalog';
import { formatAge, formatBytes } from '../../core/format';

const STATE_ICONS: Record<BackupEntry['state'], vscode.ThemeIcon> = {
  verified: new vscode.ThemeIcon('pass-filled', new vscode.ThemeColor('testing.iconPassed')),
  failed: new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed')),
  unverified: new vscode.ThemeIcon('circle-large-outline'),
};

/** One backup file. Its contextValue (`backup.<kind>.<state>[.encrypted]`) drives the menus. */
export class BackupItem extends vscode.TreeItem {
  constructor(readonly entry: BackupEntry, now: Date = new Date()) {
    super(itemLabel(entry), vscode.TreeItemCollapsibleState.None);
    this.id = entry.path;
    this.resourceUri = vscode.Uri.file(entry.path);
    this.description = `${formatAge(entry.createdAt, now)} · ${formatBytes(entry.bytes)}`;
    this.iconPath = entry.encryption ? new vscode.ThemeIcon('lock') : STATE_ICONS[entry.state];
    this.contextValue = `backup.${entry.kind}.${entry.state}${entry.encryption ? '.encrypted' : ''}`;
    this.tooltip = tooltip(entry);
  }
}

/**
 * The time a backup was taken reads better in a narrow side bar than its file name, which is
 * in the tooltip. A volume or a foreign prefix is named too, so nothing is ambiguous.
 */
function itemLabel(e: BackupEntry): string {
  const when = e.createdAt.toISOString().replace('T', ' ').slice(0, 16);
  if (e.kind === 'volume' && e.subject) return `${e.subject} · ${when}`;
  return when;
}

function tooltip(e: BackupEntry): vscode.MarkdownString {
  const md = new vscode.MarkdownString(undefined, true);
  md.appendMarkdown(`**${e.fileName}**\n\n`);
  md.appendMarkdown(`Created ${e.createdAt.toISOString().replace('T', ' ').slice(0, 19)} UTC · ${formatBytes(e.bytes)}\n\n`);
  const m = e.manifest;
  if (!m) {
    md.appendMarkdown(e.manifestProblem ? `$(warning) ${e.manifestProblem}\n\n` : 'No manifest (made outside Lifeboat): no checksum or row counts to compare.\n\n');
  } else {
    const src = m.source;
    if (src.database) md.appendMarkdown(`Database \`${src.database}\` in \`${src.container}\`${src.image ? ` (${src.image})` : ''}\n\n`);
    if (src.serverVersion) md.appendMarkdown(`PostgreSQL ${src.serverVersion} · pg_dump ${src.pgDumpVersion ?? '?'}\n\n`);
    if (m.tables) {
      const rows = Object.values(m.tables).reduce((a, b) => a + b, 0);
      md.appendMarkdown(`${Object.keys(m.tables).length} tables · ${rows.toLocaleString('en-US')} rows\n\n`);
    }
    if (m.alembicHead) md.appendMarkdown(`Alembic head \`${m.alembicHead.join(', ')}\`\n\n`);
    if (m.file.sha256) md.appendMarkdown(`sha256 \`${m.file.sha256.slice(0, 16)}…\`\n\n`);
    const last = m.verifications.at(-1);
    md.appendMarkdown(last ? `${last.ok ? '$(pass)' : '$(error)'} ${last.depth} verification ${last.at}${last.detail ? `: ${last.detail}` : ''}` : 'Not verified yet');
  }
  if (e.encryption) md.appendMarkdown(`\n\n$(lock) Encrypted (${e.encryption})`);
  return md;
}
