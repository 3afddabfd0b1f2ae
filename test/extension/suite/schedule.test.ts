import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { LifeboatApi } from '../../../src/extension/extension';
import { until } from './until';
import { FakeClock } from '../../support/fakeClock';

/** Enabling lifeboat.schedule.* in a real extension host: next and last runs in the tree and the status bar. */
describe('schedules in the extension host', function () {
  this.timeout(120_000);
  let api: LifeboatApi;
  let dir: string;
  const config = () => vscode.workspace.getConfiguration('lifeboat');
  const set = (key: string, value: unknown) => config().update(key, value, vscode.ConfigurationTarget.Global);

  /** Notifications the schedule showed; `click` answers one later, as a user would. */
  const shown: { message: string; actions: string[]; click: (action: string | undefined) => void }[] = [];

  before(async () => {
    const ext = vscode.extensions.getExtension<LifeboatApi>('lifeboat-dev.lifeboat');
    assert.ok(ext);
    api = await ext.activate();
    api.schedule.notify = (message, ...actions) => new Promise((click) => shown.push({ message, actions, click }));
    dir = await fs.mkdtemp(join(tmpdir(), 'lifeboat-host-schedule-'));
    await set('backupDirectory', dir);
  });

  after(async () => {
    api.schedule.clock = undefined;
    for (const key of [
      'schedule.enabled',
      'schedule.database',
      'schedule.config',
      'schedule.volume',
      'schedule.timezone',
      'database.name',
      'backupDirectory',
    ])
      await set(key, undefined);
    await api.schedule.idle();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('is off by default: no schedule in the status bar tooltip', async () => {
    await until('the schedule service to settle', () => !api.schedule.enabled);
    await api.statusBar.update();
    assert.doesNotMatch(api.statusBar.shown.tooltip, /schedule/i);
  });

  it('shows the next run per kind in the tree and the status bar tooltip once enabled', async () => {
    await set('schedule.volume', '');
    await set('schedule.enabled', true);
    const status = await until('the schedule to start', () => api.schedule.status());
    assert.deepEqual(
      status.map((s) => s.kind),
      ['database', 'config'],
    );
    const db = status[0];
    assert.equal(db.cron, '0 2 * * *');
    assert.equal(db.zone, 'UTC');
    const next = db.next!;
    assert.equal(next.getUTCHours(), 2);
    assert.ok(next.getTime() > Date.now() && next.getTime() - Date.now() <= 24 * 3_600_000);

    const tooltip = await until('the tooltip to show the schedule', async () => {
      await api.statusBar.update();
      const t = api.statusBar.shown.tooltip;
      return /Database schedule: 0 2 \* \* \* \(UTC\)/.test(t) && t;
    });
    assert.match(tooltip, /Next run: \w{3} \d{1,2} \w{3} 02:00 UTC \(in \d+ (h|min)\)/);
    assert.match(tooltip, /Config schedule: 0 1 1 \* \* \(UTC\)/);
    assert.match(tooltip, /Last run: none yet/);
    assert.doesNotMatch(tooltip, /Volumes schedule/);

    const roots = await api.tree.getChildren();
    const group = roots.find((r) => r.label === 'Database');
    assert.ok(group, `groups shown with a schedule on, even with no backups: ${roots.map((r) => r.label).join(', ')}`);
    assert.match(String(group.description), /^0 · next \w{3} \d{1,2} \w{3} 02:00 UTC$/);
    assert.match(String(group.tooltip), /Next run: .*02:00 UTC/);
    const volumes = roots.find((r) => r.label === 'Volumes');
    assert.equal(volumes?.description, '0');
    // The state file records when each kind started, so 02:00 yesterday is not "missed".
    const state = JSON.parse(await fs.readFile(join(dir, '.lifeboat-schedule.json'), 'utf8'));
    assert.ok(state.kinds.database.since);
  });

  it('follows a settings change: new time, local zone', async () => {
    await set('schedule.database', '30 4 * * *');
    await set('schedule.timezone', 'local');
    const db = await until('the new schedule', () => api.schedule.status()?.find((s) => s.cron === '30 4 * * *' && s.zone === 'local'));
    assert.equal(db.next!.getHours(), 4);
    assert.equal(db.next!.getMinutes(), 30);
  });

  it('names an invalid cron expression and its setting, and keeps the other kinds scheduled', async () => {
    await set('schedule.database', '0 25 * * *');
    const errors = await until('the settings error', () => api.schedule.lastErrors.length > 0 && api.schedule.lastErrors);
    assert.match(errors[0], /Invalid cron expression "0 25 \* \* \*" in the setting lifeboat\.schedule\.database/);
    const note = shown.find((n) => n.message.includes('"0 25 * * *"'));
    assert.ok(note, JSON.stringify(shown));
    assert.deepEqual(note.actions, ['Open Settings']);
    const status = await until('config still scheduled', () => api.schedule.status());
    assert.deepEqual(
      status.map((s) => s.kind),
      ['config'],
    );
  });

  it('exports the schedule as systemd units and as crontab lines in an untitled editor', async () => {
    await set('schedule.database', '0 2 * * *');
    await set('schedule.timezone', 'UTC');
    const units = await vscode.commands.executeCommand<string>('lifeboat.exportSchedule', 'systemd');
    assert.equal(api.lastError(), undefined, String(api.lastError()));
    const editor = vscode.window.activeTextEditor;
    assert.ok(editor?.document.isUntitled);
    assert.equal(editor.document.getText(), units);
    assert.equal(editor.document.languageId, 'ini');
    const workspace = vscode.workspace.workspaceFolders![0].uri.fsPath;
    assert.match(units ?? '', /^OnCalendar=\*-\*-\* 02:00:00 UTC$/m);
    assert.ok(units?.includes(`dist/cli.js backup database --folder ${workspace} --quiet`), units);
    assert.doesNotMatch(units ?? '', /backup volume/);

    const cron = await vscode.commands.executeCommand<string>('lifeboat.exportSchedule', 'crontab');
    assert.equal(vscode.window.activeTextEditor?.document.languageId, 'shellscript');
    assert.match(cron ?? '', /^CRON_TZ=UTC$/m);
    assert.match(
      cron ?? '',
      /^0 1 1 \* \* \S+node \S+\/dist\/cli\.js backup config --folder \S+ --quiet && \S+node \S+cli\.js prune --folder/m,
    );
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('runs a due backup in the host (clock moved past the minute): verified, then shown as the last run', async () => {
    // Half a minute past a minute: 61 s later exactly one due minute has passed.
    const clock = new FakeClock(Math.floor(Date.now() / 60_000) * 60_000 + 30_000, () => api.schedule.idle());
    api.schedule.clock = clock;
    await set('schedule.config', '');
    await set('schedule.database', '* * * * *');
    await until('the every-minute schedule', () => api.schedule.status()?.find((s) => s.cron === '* * * * *'));
    await clock.advance(61_000);
    await api.schedule.idle();
    const db = api.schedule.status()!.find((s) => s.kind === 'database')!;
    assert.equal(db.last?.outcome, 'ok', db.last?.problem);
    assert.match(db.last?.summary ?? '', /^\w+_backup_\d{8}_\d{6}\.sql\.gz, verified \(quick\)/);
    const files = (await fs.readdir(join(dir, 'database'))).filter((f) => f.endsWith('.sql.gz'));
    assert.equal(files.length, 1);
    await api.statusBar.update();
    assert.match(api.statusBar.shown.tooltip, /Last run: .*, ok: \w+_backup_\d{8}_\d{6}\.sql\.gz, verified \(quick\)/);
    const group = await until('the tree to list the scheduled backup', async () =>
      (await api.tree.getChildren()).find((r) => r.label === 'Database' && String(r.description).startsWith('1 ·')),
    );
    assert.match(String(group.tooltip), /Last run: .*ok/);

    // A run that fails: recorded, shown, and nothing kept.
    await set('database.name', 'no_such_database');
    await until('the schedule to restart', () => api.schedule.status()?.find((s) => s.cron === '* * * * *'));
    await clock.advance(60_000);
    await api.schedule.idle();
    const failed = api.schedule.status()!.find((s) => s.kind === 'database')!;
    assert.equal(failed.last?.outcome, 'failed');
    assert.match(failed.last?.problem ?? '', /no_such_database/);
    assert.equal((await fs.readdir(join(dir, 'database'))).filter((f) => f.endsWith('.sql.gz')).length, 1);
    await api.statusBar.update();
    assert.match(api.statusBar.shown.tooltip, /Last run: .*FAILED: pg_dump failed/);
    const note = shown.find((n) => n.message.startsWith('Lifeboat: the scheduled database backup failed.'));
    assert.ok(note, JSON.stringify(shown));
    assert.deepEqual(note.actions, ['Show Log', 'Retry']);
    assert.match(note.message, /no_such_database/);

    // "Retry" once the cause is fixed: the run is made again at once and succeeds.
    await set('database.name', undefined);
    await until('the schedule to restart', () => api.schedule.status()?.find((s) => s.cron === '* * * * *'));
    note.click('Retry');
    await until(
      'the retried backup',
      async () => (await fs.readdir(join(dir, 'database'))).filter((f) => f.endsWith('.sql.gz')).length === 2,
    );
    await api.schedule.idle();
    assert.equal(api.schedule.status()!.find((s) => s.kind === 'database')!.last?.outcome, 'ok');
    api.schedule.clock = undefined;
  });

  it('stops when disabled', async () => {
    await set('schedule.enabled', false);
    await until('the schedule to stop', () => !api.schedule.enabled);
    await api.statusBar.update();
    assert.doesNotMatch(api.statusBar.shown.tooltip, /schedule/i);
  });
});
