import { constants, promises as fs } from 'node:fs';
import { userInfo } from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { LifeboatError } from '../../core/common';
import { ScheduleExportInput, crontabText, systemdText } from '../../core/schedule';
import type { Lifeboat } from '../lifeboat';

type Format = 'crontab' | 'systemd';

/**
 * "Lifeboat: Export Schedule": the workspace's `lifeboat.schedule.*` as crontab lines or
 * systemd timer and service units that run the `lifeboat` command line (backup, then prune),
 * for a host without VS Code. Opens the text in an untitled editor; resolves to it.
 */
export async function exportSchedule(lb: Lifeboat, arg?: unknown): Promise<string | undefined> {
  const folder = lb.stacks.folder;
  if (!folder) throw new LifeboatError('No folder is open.', 'Open the folder of your Compose project, then retry.');
  const format =
    arg === 'crontab' || arg === 'systemd'
      ? arg
      : await lb.prompter.pick<Format>(
          [
            { label: 'crontab', description: 'lines for crontab -e', value: 'crontab' },
            { label: 'systemd', description: 'a timer and a service unit per kind', value: 'systemd' },
          ],
          'Export the backup schedule as',
        );
  if (!format) return undefined;
  const schedule = lb.stacks.settings.schedule;
  const input: ScheduleExportInput = {
    folder: folder.uri.fsPath,
    crons: schedule.crons,
    zone: schedule.zone,
    node: await findNode(),
    cli: path.join(lb.context.extensionPath, 'dist', 'cli.js'),
    user: userInfo().username,
    offsiteCopy: lb.stacks.settings.offsiteCopyNewBackups && !!lb.stacks.settings.offsiteDestination,
  };
  if (!Object.values(input.crons).some((c) => c.trim())) {
    throw new LifeboatError(
      'No kind of backup is scheduled: every lifeboat.schedule.* expression is empty.',
      'Set lifeboat.schedule.database (for example "0 2 * * *"), then export again.',
    );
  }
  const text = format === 'crontab' ? crontabText(input) : systemdText(input);
  const languages = await vscode.languages.getLanguages();
  const wanted = format === 'crontab' ? 'shellscript' : 'ini';
  const doc = await vscode.workspace.openTextDocument({ language: languages.includes(wanted) ? wanted : 'plaintext', content: text });
  await vscode.window.showTextDocument(doc, { preview: false });
  if (!schedule.enabled)
    lb.log.info('Export Schedule: lifeboat.schedule.enabled is off here; the exported schedule runs on its own once installed.');
  return text;
}

/** An absolute Node.js: cron and systemd start with a bare PATH. */
async function findNode(): Promise<string> {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, 'node');
    try {
      await fs.access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return '/usr/bin/node';
}
