import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { PruneResult } from '../../../src/core/retention';
import type { StatusReport } from '../../../src/core/reports';
import type { LifeboatApi } from '../../../src/extension/extension';

/** Retention preview and the status report in a real VS Code, on a real folder of backups. */
describe('cleanup preview and status in the extension host', function () {
  this.timeout(120_000);
  let api: LifeboatApi;
  let dir: string;
  const config = () => vscode.workspace.getConfiguration('lifeboat');
  const set = (key: string, value: unknown) => config().update(key, value, vscode.ConfigurationTarget.Global);
  const asked: string[] = [];

  before(async () => {
    api = await vscode.extensions.getExtension<LifeboatApi>('lifeboat-dev.lifeboat')!.activate();
    dir = await fs.mkdtemp(join(tmpdir(), 'lifeboat-cleanup-'));
    await fs.mkdir(join(dir, 'database'));
    // Ten days of daily backups from September: all past the runbook's 30 days.
    for (let day = 1; day <= 10; day++)
      await fs.writeFile(join(dir, 'database', `sms_backup_202609${String(day).padStart(2, '0')}_020000.sql.gz`), 'data');
    await fs.writeFile(join(dir, 'database', 'notes.txt'), 'not a backup');
    await set('backupDirectory', dir);
  });

  after(async () => {
    for (const key of ['backupDirectory', 'retention.database', 'storage.minFreeMB', 'offsite.destination', 'offsite.retention.database'])
      await set(key, undefined);
    api.setPrompter(undefined);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('shows what would go and why, and deletes nothing when the modal is dismissed', async () => {
    api.setPrompter({
      confirm: async (message, _detail, _action) => {
        asked.push(message);
        return undefined;
      },
    });
    const r = await vscode.commands.executeCommand<PruneResult | undefined>('lifeboat.cleanUp');
    assert.equal(api.lastError(), undefined, String(api.lastError()));
    assert.equal(r, undefined);
    assert.deepEqual(asked, ['Delete 9 old backups?']);
    const preview = vscode.workspace.textDocuments.find((d) => d.getText().startsWith('# Cleanup preview'));
    assert.ok(preview, 'no preview document');
    assert.match(preview.getText(), /Would delete 9 of 10 backups/);
    assert.match(preview.getText(), /\| keep \| sms_backup_20260910_020000\.sql\.gz \| .* \| newest backup \(always kept\)/);
    assert.match(preview.getText(), /\| \*\*delete\*\* \| sms_backup_20260901_020000\.sql\.gz \| .* \| older than 30 days/);
    assert.equal((await fs.readdir(join(dir, 'database'))).length, 11);
  });

  it('deletes after the modal, keeps the newest and foreign files, and the tree follows', async () => {
    await set('retention.database', { keepLast: 3 });
    api.setPrompter({ confirm: async (_m, _d, action) => action });
    const r = await vscode.commands.executeCommand<PruneResult | undefined>('lifeboat.cleanUp');
    assert.equal(api.lastError(), undefined, String(api.lastError()));
    assert.equal(r?.removed.length, 7);
    assert.deepEqual((await fs.readdir(join(dir, 'database'))).sort(), [
      'notes.txt',
      'sms_backup_20260908_020000.sql.gz',
      'sms_backup_20260909_020000.sql.gz',
      'sms_backup_20260910_020000.sql.gz',
    ]);
    api.tree.refresh();
    const roots = await api.tree.getChildren();
    assert.equal((await api.tree.getChildren(roots[0])).length, 3);
  });

  it('with lifeboat.offsite.retention set, the preview and the modal show the off-site copies too, and both are pruned after it', async () => {
    await set('retention.database', { keepLast: 3 });
    const nas = join(dir, '..', `${join(dir).split('/').pop()}-nas`);
    await fs.mkdir(join(nas, 'database'), { recursive: true });
    for (const d of ['01', '02', '03', '04']) await fs.writeFile(join(nas, 'database', `sms_backup_202608${d}_020000.sql.gz`), 'copy');
    await fs.writeFile(join(nas, 'database', 'README.txt'), 'foreign');
    await set('offsite.destination', nas);
    await set('offsite.retention.database', { keepLast: 2 });
    const details: string[] = [];
    api.setPrompter({
      confirm: async (message, detail) => {
        details.push(`${message}\n${detail}`);
        return undefined;
      },
    });
    assert.equal(await vscode.commands.executeCommand('lifeboat.cleanUp'), undefined);
    assert.equal(api.lastError(), undefined, String(api.lastError()));
    assert.match(details[0], /^Delete 2 old backups\?\n/);
    assert.match(details[0], /Off-site in the folder .*-nas: 2 copies deleted, 2 kept \(lifeboat\.offsite\.retention\)\./);
    const preview = vscode.workspace.textDocuments.find((d) => d.getText().startsWith('# Cleanup preview'));
    assert.match(preview?.getText() ?? '', /# Off-site cleanup preview[\s\S]*\| \*\*delete\*\* \| sms_backup_20260801_020000\.sql\.gz/);
    assert.equal((await fs.readdir(join(nas, 'database'))).length, 5, 'dismissed: nothing deleted off-site');

    api.setPrompter({ confirm: async (_m, _d, action) => action });
    await vscode.commands.executeCommand('lifeboat.cleanUp');
    assert.equal(api.lastError(), undefined, String(api.lastError()));
    assert.deepEqual((await fs.readdir(join(nas, 'database'))).sort(), [
      'README.txt',
      'sms_backup_20260803_020000.sql.gz',
      'sms_backup_20260804_020000.sql.gz',
    ]);
    assert.equal((await fs.readdir(join(dir, 'database'))).length, 4, 'the local folder was already within its rules');
    await set('offsite.destination', undefined);
    await set('offsite.retention.database', undefined);
    await fs.rm(nas, { recursive: true, force: true });
  });

  it('an invalid retention setting is an error naming it, and nothing is deleted', async () => {
    await set('retention.database', { keepLast: 'three' });
    api.setPrompter({ confirm: async (_m, _d, action) => action });
    await vscode.commands.executeCommand('lifeboat.cleanUp');
    assert.match(String(api.lastError()?.message), /lifeboat\.retention\.database is .*"keepLast"/);
    assert.equal((await fs.readdir(join(dir, 'database'))).length, 4);
  });

  it('Show Backup Status: totals in the view header, a low-space warning from lifeboat.storage.minFreeMB', async () => {
    const report = await vscode.commands.executeCommand<StatusReport>('lifeboat.showStatus');
    assert.equal(api.lastError(), undefined, String(api.lastError()));
    assert.equal(report.count, 3);
    assert.equal(report.kinds[0].count, 3);
    assert.equal(report.disk?.low, false);
    assert.ok(vscode.workspace.textDocuments.some((d) => d.getText().startsWith('# Backup status')));
    await set('storage.minFreeMB', 1024 * 1024 * 1024);
    const low = await api.header.refresh();
    assert.equal(low.disk?.low, true);
    assert.ok(low.problems.some((p) => /low disk space/.test(p)));
    assert.match(api.header.message ?? '', /Low disk space/);
  });

  it('the header warns when the newest backup failed verification', async () => {
    await set('storage.minFreeMB', undefined);
    const newest = join(dir, 'database', 'sms_backup_20260910_020000.sql.gz');
    // Not a gzip at all: a quick verify fails and records it.
    const r = await vscode.commands.executeCommand<{ ok: boolean }>('lifeboat.verifyBackup', vscode.Uri.file(newest), 'quick');
    assert.equal(r?.ok, false);
    const report = await api.header.refresh();
    assert.equal(report.status, 'failing');
    assert.match(api.header.message ?? '', /^⚠ The newest backup of a series failed verification: sms_backup_20260910_020000\.sql\.gz/);
  });
});
