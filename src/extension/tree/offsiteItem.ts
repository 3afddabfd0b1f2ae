import * as vscode from 'vscode';
import { formatAge, formatBytes, formatCountOf, formatDuration, formatTime, formatWhen } from '../../core/common';
import { OffsiteState, RemoteBackup, offsitePathOf } from '../../core/offsite';

const KIND_ICON: Record<RemoteBackup['kind'], string> = { database: 'database', config: 'settings-gear', volume: 'archive' };

/**
 * The "Off-site" group: what the destination holds, including backups no longer on this
 * machine (after a disk loss, the only ones left). Collapsed, as it repeats the groups above
 * for everyday use.
 */
export class OffsiteGroupItem extends vscode.TreeItem {
  constructor(
    readonly state: OffsiteState,
    readonly items: OffsiteBackupItem[],
  ) {
    super('Off-site', vscode.TreeItemCollapsibleState.Collapsed);
    this.id = 'group.offsite';
    const only = items.filter((i) => !i.local).length;
    this.description = state.timedOutAfterMs
      ? `not reachable (timed out after ${formatDuration(state.timedOutAfterMs)})`
      : state.problem
        ? 'cannot be read'
        : [`${items.length}`, only ? `${only} only off-site` : ''].filter(Boolean).join(' · ');
    this.iconPath = new vscode.ThemeIcon(state.problem ? 'warning' : 'cloud');
    this.tooltip = state.problem
      ? `${state.where}: ${state.problem}`
      : `${formatCountOf(items.length, 'backup')} in ${state.where}. Restore or verify one from here; it is downloaded and checked first.`;
    this.contextValue = 'group.offsite';
  }
}

/** One backup at the destination. Its contextValue (`offsite.<kind>[.local]`) drives the menus. */
export class OffsiteBackupItem extends vscode.TreeItem {
  constructor(
    readonly backup: RemoteBackup,
    readonly where: string,
    readonly local: boolean,
    now: Date = new Date(),
  ) {
    super(formatWhen(backup.createdAt, now), vscode.TreeItemCollapsibleState.None);
    this.id = `offsite.${backup.remotePath}`;
    this.description = [formatBytes(backup.bytes), local ? 'local + off-site' : 'off-site only', formatAge(backup.createdAt, now)].join(
      ' · ',
    );
    // The kind's icon, not a cloud: after a disk loss every row is off-site only (the description
    // says so), and a dump, a snapshot and a config archive must still be told apart at a glance.
    this.iconPath = new vscode.ThemeIcon(KIND_ICON[backup.kind]);
    this.contextValue = `offsite.${backup.kind}${local ? '.local' : ''}`;
    const md = new vscode.MarkdownString(undefined, true);
    md.appendMarkdown(`**${backup.fileName}**\n\n`);
    md.appendMarkdown(`Created ${formatTime(backup.createdAt, true)} · ${formatBytes(backup.bytes)}\n\n`);
    md.appendMarkdown(`$(cloud) In ${where}: \`${backup.remotePath}\`\n\n`);
    md.appendMarkdown(
      backup.hasManifest
        ? "$(pass) Copied by Lifeboat: checked there (read back, or by the storage's SHA256 checksums); its manifest is checked again when it is downloaded."
        : "$(info) No manifest beside it (put there by other tools, such as the runbook's `aws s3 cp`): verify it once it is downloaded.",
    );
    md.appendMarkdown(local ? '\n\nAlso on this machine.' : '\n\n$(warning) Not on this machine: restoring it downloads it first.');
    this.tooltip = md;
  }
}

/** Whether a remote backup is on this machine too, by the local names it stands for. */
export function isLocal(backup: RemoteBackup, localNames: ReadonlySet<string>): boolean {
  return offsitePathOf(backup.fileName).some((n) => localNames.has(n));
}
