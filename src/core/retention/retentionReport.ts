import { formatBytes, formatCount, formatCountOf, formatTime } from '../common';
import { RetentionPlan, describePolicy } from './retention';

/** What a cleanup would keep and delete, rule by rule and file by file, before anything is deleted. */
export function renderRetentionMarkdown(plan: RetentionPlan, backupDir: string, offsite?: { where: string }): string {
  const freed = plan.remove.reduce((a, e) => a + e.bytes, 0);
  const lines = [
    offsite ? '# Off-site cleanup preview' : '# Cleanup preview',
    '',
    `${offsite ? `Off-site copies in ${offsite.where}` : `Folder \`${backupDir}\``}, ${formatTime(plan.now)}.`,
    '',
    plan.remove.length
      ? `**Would delete ${formatCount(plan.remove.length)} of ${formatCountOf(plan.keep.length + plan.remove.length, 'backup')}, freeing ${formatBytes(freed)}.** Nothing has been deleted yet.`
      : `**Nothing to delete:** every one of the ${formatCountOf(plan.keep.length, 'backup')} is kept by a rule.`,
    '',
    "The newest backup and the newest verified backup of each kind are always kept; files that do not have Lifeboat's names are never touched.",
  ];
  for (const s of plan.series) {
    lines.push(
      '',
      `## ${s.kind}${s.subject ? ` · ${s.subject}` : ''}`,
      '',
      `Rules: ${describePolicy(s.policy)}`,
      '',
      '| | backup | size | why |',
      '|---|---|---|---|',
    );
    for (const d of s.decisions) {
      lines.push(
        `| ${d.keep ? 'keep' : '**delete**'} | ${d.entry.fileName} | ${formatBytes(d.entry.bytes)} | ${d.reasons.join('; ').replace(/\|/g, '\\|')} |`,
      );
    }
  }
  if (plan.series.length === 0) lines.push('', offsite ? 'There are no backups there.' : 'There are no backups in this folder.');
  lines.push('');
  return lines.join('\n');
}
