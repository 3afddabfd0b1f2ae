import { renderStatusMarkdown } from '../../core/reports';
import type { StatusReport } from '../../core/reports';
import type { Lifeboat } from '../lifeboat';
import { showMarkdown } from '../ui/showMarkdown';

/** "Lifeboat: Show Backup Status": the runbook's status report, instant (nothing is read but the folder). */
export async function showStatus(lb: Lifeboat): Promise<StatusReport> {
  const report = await lb.header.refresh();
  await showMarkdown('Backup status', renderStatusMarkdown(report));
  return report;
}
