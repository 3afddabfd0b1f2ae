import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { CancelledError } from '../../core/common';
import { ensurePrivateDir, writeFileAtomic, timestamp } from '../../core/store';
import { HealthReport, buildHealthReport, renderHealthMarkdown } from '../../core/reports';
import { VerifyResult, verifyBackup } from '../../core/verify';
import type { Lifeboat } from '../lifeboat';
import { runWithProgress } from '../ui/runWithProgress';
import { backupKeys } from '../secrets';
import { chooseDepth } from './verifyBackup';

/**
 * "Lifeboat: Run Backup Health Check": the runbook's weekly checklist. The newest backup of
 * each kind is verified (the database one by a test restore when the stack is up), totals and
 * free space are added, and the report is saved as Markdown and JSON under `reports/` and shown.
 */
export async function healthCheck(lb: Lifeboat): Promise<HealthReport> {
  const settings = lb.stacks.settings;
  const dir = settings.backupDirectory;
  const entries = await lb.catalog.load();
  const { depth, stack } = await chooseDepth(lb, undefined);
  const report = await runWithProgress('Lifeboat: Backup health check', async (op) => {
    const checks = new Map<string, VerifyResult>();
    const keys = backupKeys(lb);
    for (const kind of ['database', 'config', 'volume'] as const) {
      const newest = entries.find((e) => e.kind === kind);
      if (!newest) continue;
      if (op.signal.aborted) throw new CancelledError();
      op.progress({ phase: `Checking the newest ${kind} backup` });
      checks.set(
        newest.path,
        await verifyBackup(newest.path, {
          signal: op.signal,
          depth: kind === 'database' ? depth : 'quick',
          docker: stack ? lb.stacks.engine : undefined,
          stack,
          logger: lb.log,
          keys,
        }),
      );
    }
    const disk = await fs.statfs(dir).then(
      (s) => ({ freeBytes: s.bavail * s.bsize, totalBytes: s.blocks * s.bsize }),
      () => undefined,
    );
    return buildHealthReport({ entries: await lb.catalog.load(), now: new Date(), maxAgeHours: settings.maxAgeHours, checks, disk });
  });
  lb.catalog.invalidate();
  const reports = join(dir, 'reports');
  await ensurePrivateDir(dir);
  await ensurePrivateDir(reports);
  const base = join(reports, `health_${timestamp(new Date(report.generatedAt))}`);
  await writeFileAtomic(`${base}.md`, renderHealthMarkdown(report));
  await writeFileAtomic(`${base}.json`, JSON.stringify(report, null, 2) + '\n');
  lb.log.info(`Health report (${report.status}) saved to ${base}.md and .json`);
  await vscode.commands.executeCommand('markdown.showPreview', vscode.Uri.file(`${base}.md`));
  return report;
}
