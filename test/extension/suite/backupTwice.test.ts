import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { LifeboatApi } from '../../../src/extension/extension';

/** Issue 14.3: two quick clicks on Back Up Database are one backup, not a lock error. */
describe('a second Back Up Database click while one runs', function () {
  this.timeout(120_000);
  let api: LifeboatApi;
  let dir: string;

  before(async () => {
    const ext = vscode.extensions.getExtension<LifeboatApi>('lifeboat-dev.lifeboat');
    assert.ok(ext);
    api = await ext.activate();
    dir = await fs.mkdtemp(join(tmpdir(), 'lifeboat-host-twice-'));
    await vscode.workspace.getConfiguration('lifeboat').update('backupDirectory', dir, vscode.ConfigurationTarget.Global);
  });

  after(async () => {
    await vscode.workspace.getConfiguration('lifeboat').update('backupDirectory', undefined, vscode.ConfigurationTarget.Global);
  });

  it('joins the running backup: both clicks resolve to the same file, no error, one backup', async () => {
    const first = vscode.commands.executeCommand<string>('lifeboat.backupDatabase');
    const second = vscode.commands.executeCommand<string>('lifeboat.backupDatabase');
    const [a, b] = await Promise.all([first, second]);
    assert.equal(api.lastError(), undefined, api.lastErrorText());
    assert.ok(a && a.startsWith(join(dir, 'database', 'sms_backup_')), String(a));
    assert.equal(b, a);
    const dumps = (await fs.readdir(join(dir, 'database'))).filter((n) => n.endsWith('.sql.gz'));
    assert.equal(dumps.length, 1, dumps.join(', '));

    // Once it has ended, a click is a new backup again.
    const third = await vscode.commands.executeCommand<string>('lifeboat.backupDatabase');
    assert.equal(api.lastError(), undefined, api.lastErrorText());
    assert.ok(third && third !== a, String(third));
  });
});
