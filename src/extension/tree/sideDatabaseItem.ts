import * as vscode from 'vscode';
import type { SideDatabase } from '../../core/database';
import { formatAge, formatBytes } from '../../core/common';

const ICONS: Record<SideDatabase['kind'], vscode.ThemeIcon> = {
  pre_restore: new vscode.ThemeIcon('history'),
  failed_restore: new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground')),
  restore: new vscode.ThemeIcon('circle-slash'),
  verify: new vscode.ThemeIcon('circle-slash'),
};

const EXPLAIN: Record<SideDatabase['kind'], string> = {
  pre_restore: 'The live database as it was before a restore. "Swap Back" makes it live again; "Drop" deletes it.',
  failed_restore: 'A restored copy that failed its migration or health check and was swapped out again; kept for inspection.',
  restore: 'A scratch database left by an interrupted dry run. Safe to drop.',
  verify: 'A throwaway database left by an interrupted test restore. Safe to drop.',
};

/** A database a restore left beside the live one (contextValue `sidedb.<kind>`). */
export class SideDatabaseItem extends vscode.TreeItem {
  constructor(
    readonly side: SideDatabase,
    readonly live: string,
  ) {
    super(side.name, vscode.TreeItemCollapsibleState.None);
    this.id = `sidedb.${side.name}`;
    this.description = `${side.at ? formatAge(side.at) : ''} · ${formatBytes(side.bytes)}`;
    this.iconPath = ICONS[side.kind];
    this.contextValue = `sidedb.${side.kind}`;
    this.tooltip = new vscode.MarkdownString(`**${side.name}**\n\n${EXPLAIN[side.kind]}\n\nLive database: \`${live}\``);
  }
}
