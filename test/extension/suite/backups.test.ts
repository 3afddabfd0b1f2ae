import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { LifeboatApi } from '../../../src/extension/extension';

const EXTENSION_ID = 'lifeboat-dev.lifeboat';

/**
 * The backup commands in a real VS Code with the demo stack's folder open and the real Docker
 * engine behind it. Only the answer to a modal is scripted (through the API's prompter).
 */
describe('backups in the extension host', function () {
  this.timeout(120_000);
  let api: LifeboatApi;
  let dir: string;
  const config = () => vscode.workspace.getConfiguration('lifeboat');

  async function setSetting(key: string, value: unknown): Promise<void> {
    await config().update(key, value, vscode.ConfigurationTarget.Global);
  }

  before(async () => {
    const ext = vscode.extensions.getExtension<LifeboatApi>(EXTENSION_ID);
    assert.ok(ext);
    api = await ext.activate();
    dir = await fs.mkdtemp(join(tmpdir(), 'lifeboat-host-'));
    await setSetting('backupDirectory', dir);
  });

  after(async () => {
    for (const key of ['backupDirectory', 'database.name']) await setSetting(key, undefined);
    api.setPrompter(undefined);
  });

  it('shows the "no backups yet" welcome for an empty folder', async () => {
    api.tree.refresh();
    const roots = await api.tree.getChildren();
    assert.deepEqual(roots, []);
    assert.equal(api.tree.state, 'empty');
  });

  it('"Back Up Database" writes a backup that the tree and the status bar show', async () => {
    const path = await vscode.commands.executeCommand<string>('lifeboat.backupDatabase');
    assert.equal(api.lastError(), undefined, String(api.lastError()));
    assert.ok(path && path.startsWith(join(dir, 'database', 'sms_backup_')), String(path));
    const manifest = JSON.parse(await fs.readFile(`${path}.json`, 'utf8'));
    assert.equal(manifest.source.database, 'sms_db');
    assert.ok(Object.keys(manifest.tables).length >= 4);
    assert.equal(manifest.verifications.length, 1);
    assert.equal(manifest.verifications[0].depth, 'quick');
    assert.equal(manifest.verifications[0].ok, true);

    api.tree.refresh();
    const roots = await api.tree.getChildren();
    assert.deepEqual(
      roots.map((r) => r.label),
      ['Database', 'Config', 'Volumes'],
    );
    assert.equal(api.tree.state, 'ready');
    const items = await api.tree.getChildren(roots[0]);
    assert.equal(items.length, 1);
    const item = api.tree.getTreeItem(items[0]);
    // Issue 14.8: a narrow side bar cuts from the end, so the short time leads and the size comes before the age.
    assert.match(String(item.label), /^(Today|Yesterday) \d{2}:\d{2}$/);
    assert.equal((item.resourceUri as vscode.Uri).fsPath, path);
    assert.match((item.tooltip as vscode.MarkdownString).value, new RegExp(path.split('/').pop()!.replace(/\./g, '\\.')));
    assert.equal(item.contextValue, 'backup.database.verified', 'a new backup is verified quickly on creation');
    assert.match(String(item.description), /^[\d.]+ [KMG]?B · just now$/);
    assert.match((item.tooltip as vscode.MarkdownString).value, /sms_db/);

    await api.statusBar.update();
    assert.match(api.statusBar.shown.text, /\$\(database\) just now/);
    assert.equal(api.statusBar.shown.background, undefined);
  });

  it('lists a runbook-made backup without a manifest', async () => {
    const runbookFile = join(dir, 'database', 'sms_backup_20260130_020000.sql.gz');
    await fs.copyFile(
      (await fs.readdir(join(dir, 'database'))).map((n) => join(dir, 'database', n)).find((p) => p.endsWith('.sql.gz'))!,
      runbookFile,
    );
    api.tree.refresh();
    const [database] = await api.tree.getChildren();
    const items = (await api.tree.getChildren(database)).map((n) => api.tree.getTreeItem(n));
    const runbook = items.find((i) => /^30 Jan( 2026)? 02:00$/.test(String(i.label)));
    assert.ok(runbook, items.map((i) => i.label).join(', '));
    assert.match((runbook.tooltip as vscode.MarkdownString).value, /No manifest/);
    assert.match(String(runbook.description), /^[\d.]+ [KMG]?B · \d+ days ago$/);
  });

  it('two backups taken within one minute are told apart by their seconds', async () => {
    const database = join(dir, 'database');
    const twin = join(database, 'sms_backup_20260130_020007.sql.gz');
    await fs.copyFile(join(database, 'sms_backup_20260130_020000.sql.gz'), twin);
    try {
      api.tree.refresh();
      const [group] = await api.tree.getChildren();
      const labels = (await api.tree.getChildren(group)).map((n) => String(api.tree.getTreeItem(n).label));
      assert.deepEqual(
        labels.filter((l) => / 02:00/.test(l)),
        ['30 Jan 02:00:07', '30 Jan 02:00:00'].map((l) => l.replace('Jan', new Date().getUTCFullYear() === 2026 ? 'Jan' : 'Jan 2026')),
      );
      assert.ok(
        labels.some((l) => /^(Today|Yesterday) \d{2}:\d{2}$/.test(l)),
        `a backup alone in its minute keeps the short time: ${labels.join(', ')}`,
      );
    } finally {
      await fs.rm(twin);
    }
  });

  it('a volume snapshot row leads with its time, then size and volume', async () => {
    await fs.mkdir(join(dir, 'volumes'), { recursive: true });
    const file = join(dir, 'volumes', 'volume_sms_postgres_data_20260129_030000.tar.gz');
    await fs.writeFile(file, 'a snapshot');
    try {
      api.tree.refresh();
      const volumes = (await api.tree.getChildren()).find((r) => r.label === 'Volumes')!;
      const [item] = (await api.tree.getChildren(volumes)).map((n) => api.tree.getTreeItem(n));
      assert.match(String(item.label), /^29 Jan( 2026)? 03:00$/);
      assert.match(String(item.description), /^10 B · sms_postgres_data · \d+ days ago$/);
      assert.match((item.tooltip as vscode.MarkdownString).value, /volume_sms_postgres_data_20260129_030000\.tar\.gz/);
    } finally {
      await fs.rm(file);
    }
  });

  it('reports a wrong database name with the setting to fix, and writes nothing', async () => {
    const before = (await fs.readdir(join(dir, 'database'))).sort();
    await setSetting('database.name', 'no_such_db');
    try {
      const result = await vscode.commands.executeCommand('lifeboat.backupDatabase');
      assert.equal(result, undefined);
      const err = api.lastError();
      assert.ok(err, 'an error was shown');
      assert.match(err.message, /database "no_such_db" does not exist/);
      assert.match((err as Error & { hint?: string }).hint ?? '', /lifeboat\.database\.name/);
    } finally {
      await setSetting('database.name', undefined);
    }
    assert.deepEqual((await fs.readdir(join(dir, 'database'))).sort(), before);
  });

  it('right-click Verify offers quick or full; quick is the first choice until full is chosen, then full is', async () => {
    const file = join(dir, 'database', 'sms_backup_20260130_020000.sql.gz');
    const offered: { placeHolder: string; labels: string[]; descriptions: string[] }[] = [];
    const answer = (depth: string | undefined) =>
      api.setPrompter({
        pick: async (items, placeHolder) => {
          offered.push({ placeHolder, labels: items.map((i) => i.label), descriptions: items.map((i) => String(i.description)) });
          return items.find((i) => i.value === depth)?.value;
        },
      });
    answer(undefined);
    assert.equal(
      await vscode.commands.executeCommand('lifeboat.verifyBackup', vscode.Uri.file(file)),
      undefined,
      'dismissed: nothing verified',
    );
    assert.equal(api.lastError(), undefined, String(api.lastError()));
    assert.equal(offered[0].placeHolder, 'How thoroughly to verify sms_backup_20260130_020000.sql.gz?');
    assert.deepEqual(offered[0].labels, ['Verify (quick)', 'Verify (full test restore)']);
    answer('quick');
    const quick = await vscode.commands.executeCommand<{ ok: boolean; depth: string }>('lifeboat.verifyBackup', vscode.Uri.file(file));
    assert.equal(quick?.depth, 'quick');
    assert.equal(quick?.ok, true);
    const adopted = JSON.parse(await fs.readFile(`${file}.json`, 'utf8'));
    assert.match(adopted.file.sha256, /^[0-9a-f]{64}$/, 'the checksum computed while reading, not an empty one');
    assert.match(offered[1].descriptions[0], /^seconds$/, 'nothing is "last used" before a choice');
    answer('full');
    const full = await vscode.commands.executeCommand<{ depth: string }>('lifeboat.verifyBackup', vscode.Uri.file(file));
    assert.equal(full?.depth, 'full');
    answer(undefined);
    await vscode.commands.executeCommand('lifeboat.verifyBackup', vscode.Uri.file(file));
    assert.deepEqual(offered[3].labels, ['Verify (full test restore)', 'Verify (quick)'], 'the last choice comes first');
    assert.match(offered[3].descriptions[0], /last used/);
    // Back to a runbook-made file without a manifest, for the test below.
    await fs.rm(`${file}.json`);
  });

  it('right-click Verify test-restores a runbook-made dump and records the result', async () => {
    const file = join(dir, 'database', 'sms_backup_20260130_020000.sql.gz');
    api.setPrompter({ pick: async (items) => items.find((i) => i.value === 'full')?.value });
    const result = await vscode.commands.executeCommand<{ ok: boolean; depth: string; checks: string[]; notes: string[] }>(
      'lifeboat.verifyBackup',
      vscode.Uri.file(file),
    );
    assert.equal(api.lastError(), undefined, String(api.lastError()));
    assert.ok(result);
    assert.equal(result.ok, true);
    assert.equal(result.depth, 'full');
    assert.ok(
      result.checks.some((c) => /test restore into a throwaway database/.test(c)),
      result.checks.join('; '),
    );
    assert.ok(result.notes.some((n) => /no manifest/.test(n)));
    const adopted = JSON.parse(await fs.readFile(`${file}.json`, 'utf8'));
    assert.ok(adopted.adoptedAt);
    assert.equal(adopted.verifications.at(-1).ok, true);
  });

  it('the health check verifies the newest backup and saves a Markdown and JSON report', async () => {
    const report = await vscode.commands.executeCommand<{
      status: string;
      kinds: { kind: string; count: number; newestCheck?: { ok: boolean; depth: string } }[];
    }>('lifeboat.healthCheck');
    assert.equal(api.lastError(), undefined, String(api.lastError()));
    assert.ok(report);
    assert.equal(report.status, 'ok', JSON.stringify(report));
    const db = report.kinds.find((k) => k.kind === 'database')!;
    assert.equal(db.count, 2);
    assert.equal(db.newestCheck?.ok, true);
    assert.equal(db.newestCheck?.depth, 'full');
    const saved = (await fs.readdir(join(dir, 'reports'))).sort();
    assert.equal(saved.length, 2);
    assert.match(saved[0], /^health_\d{8}_\d{6}\.json$/);
    assert.match(await fs.readFile(join(dir, 'reports', saved[1]), 'utf8'), /^# Backup health: ✅ ok/);
  });

  it('Copy Path puts the file path on the clipboard', async () => {
    const file = join(dir, 'database', 'sms_backup_20260130_020000.sql.gz');
    await vscode.commands.executeCommand('lifeboat.copyBackupPath', vscode.Uri.file(file));
    assert.equal(await vscode.env.clipboard.readText(), file);
  });

  it('Delete asks first, keeps the file when dismissed and removes it with its manifest when confirmed', async () => {
    const files = (await fs.readdir(join(dir, 'database'))).filter((n) => /_\d{6}\.sql\.gz$/.test(n) && !n.includes('20260130'));
    const target = join(dir, 'database', files[0]);
    const asked: string[] = [];
    api.setPrompter({
      confirm: async (message, detail) => {
        asked.push(`${message} | ${detail}`);
        return undefined;
      },
    });
    assert.equal(await vscode.commands.executeCommand('lifeboat.deleteBackup', vscode.Uri.file(target)), false);
    await fs.access(target);
    assert.match(asked[0], /^Delete "sms_backup_\d{8}_\d{6}\.sql\.gz"\?/);
    assert.match(asked[0], /cannot be undone/);
    assert.match(asked[0], /newest database backup/);

    api.setPrompter({ confirm: async (_m, _d, action) => action });
    assert.equal(await vscode.commands.executeCommand('lifeboat.deleteBackup', vscode.Uri.file(target)), true);
    await assert.rejects(fs.access(target));
    await assert.rejects(fs.access(`${target}.json`));
  });
});
