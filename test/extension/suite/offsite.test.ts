import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import * as vscode from 'vscode';
import type { LifeboatApi } from '../../../src/extension/extension';
import type { OffsiteBackupItem } from '../../../src/extension/tree/offsiteItem';

const EXTENSION_ID = 'lifeboat-dev.lifeboat';

async function sha256(path: string): Promise<string> {
  return createHash('sha256')
    .update(await fs.readFile(path))
    .digest('hex');
}

/**
 * "Lifeboat: Copy Off-site" in a real VS Code, on a real backup of the demo stack, to a real
 * folder: the refusal without a key, the encrypted copy with the key file, a plain copy when
 * encryption is not required, and what the Backups view says before and after.
 */
describe('Copy Off-site in the extension host', function () {
  this.timeout(180_000);
  let api: LifeboatApi;
  let dir: string;
  let nas: string;
  let backup: string;
  const setSetting = (key: string, value: unknown) =>
    vscode.workspace.getConfiguration('lifeboat').update(key, value, vscode.ConfigurationTarget.Global);

  async function item(path: string): Promise<vscode.TreeItem | undefined> {
    api.tree.refresh();
    const [database] = await api.tree.getChildren();
    return (await api.tree.getChildren(database))
      .map((n) => api.tree.getTreeItem(n))
      .find((i) => (i.resourceUri as vscode.Uri | undefined)?.fsPath === path);
  }

  before(async () => {
    const ext = vscode.extensions.getExtension<LifeboatApi>(EXTENSION_ID);
    assert.ok(ext);
    api = await ext.activate();
    dir = await fs.mkdtemp(join(tmpdir(), 'lifeboat-host-offsite-'));
    nas = join(dir, 'nas');
    await fs.mkdir(nas);
    await setSetting('backupDirectory', join(dir, 'backups'));
    await vscode.commands.executeCommand('lifeboat.forgetPassphrase', 'passphrase');
    backup = (await vscode.commands.executeCommand<string>('lifeboat.backupDatabase'))!;
    assert.equal(api.lastError(), undefined, String(api.lastError()));
    await setSetting('offsite.destination', nas);
  });

  after(async () => {
    api.setPrompter(undefined);
    for (const key of [
      'backupDirectory',
      'offsite.destination',
      'offsite.requireEncryption',
      'offsite.copyNewBackups',
      'encryption.keyFile',
    ])
      await setSetting(key, undefined);
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('before any copy: the item says "local only" and the header warns', async () => {
    assert.match(String((await item(backup))?.description), / · local only$/);
    await api.header.refresh();
    assert.equal(
      api.header.message,
      `⚠ The newest verified database backup, "${basename(backup)}", has no off-site copy. Run "Lifeboat: Copy Off-site" on it.`,
    );
  });

  it('refuses an unencrypted backup without a key, saying how to set one, and writes nothing', async () => {
    await vscode.commands.executeCommand('lifeboat.copyOffsite', vscode.Uri.file(backup));
    assert.match(
      String(api.lastError()?.message),
      /is not encrypted, and the setting lifeboat\.offsite\.requireEncryption keeps unencrypted backups from leaving this machine/,
    );
    assert.match(api.lastErrorText() ?? '', /lifeboat\.encryption\.keyFile/);
    assert.deepEqual(await fs.readdir(nas), []);
  });

  it('with a key file: an age copy and its manifest at the destination; the item says "local + off-site"', async () => {
    const keyFile = join(dir, 'backup_key');
    await fs.writeFile(keyFile, 'host-test off-site passphrase: c0rrect h0rse\n', { mode: 0o600 });
    await setSetting('encryption.keyFile', keyFile);
    const result = await vscode.commands.executeCommand<{ remotePath: string; outcome: string }>(
      'lifeboat.copyOffsite',
      vscode.Uri.file(backup),
    );
    assert.equal(api.lastError(), undefined, String(api.lastError()));
    assert.equal(result?.outcome, 'copied');
    const name = basename(backup);
    assert.deepEqual((await fs.readdir(join(nas, 'database'))).sort(), [`${name}.age`, `${name}.age.json`]);
    const m = JSON.parse(await fs.readFile(join(nas, 'database', `${name}.age.json`), 'utf8'));
    assert.equal(m.encryption.plaintextSha256, await sha256(backup));
    assert.equal(m.file.sha256, await sha256(join(nas, 'database', `${name}.age`)));
    assert.equal(m.source.database, 'sms_db');
    const after = await item(backup);
    assert.match(String(after?.description), / · local \+ off-site$/);
    assert.match(
      (after?.tooltip as vscode.MarkdownString).value,
      new RegExp(`Also off-site in the folder ${nas.replace(/[/.]/g, '\\$&')}: \`database/${name.replace(/\./g, '\\.')}\\.age\``),
    );
    await api.header.refresh();
    assert.doesNotMatch(api.header.message ?? '', /off-site/);
  });

  it('without requireEncryption: a plain copy that gunzip reads as the dump', async () => {
    await fs.rm(join(nas, 'database'), { recursive: true });
    await setSetting('offsite.requireEncryption', false);
    await vscode.commands.executeCommand('lifeboat.copyOffsite', vscode.Uri.file(backup));
    assert.equal(api.lastError(), undefined, String(api.lastError()));
    const copy = join(nas, 'database', basename(backup));
    assert.equal(await sha256(copy), await sha256(backup));
    const head = execFileSync('sh', ['-c', `gunzip -c "${copy}" | head -n 5`]).toString();
    assert.match(head, /^-- PostgreSQL database dump$/m);
  });

  it('copyNewBackups: Back Up Database copies the new backup once verified', async () => {
    await setSetting('offsite.copyNewBackups', true);
    // Backups are named by the second: the next one must not share the first one's name.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const made = (await vscode.commands.executeCommand<string>('lifeboat.backupDatabase'))!;
    assert.equal(api.lastError(), undefined, String(api.lastError()));
    assert.notEqual(made, backup);
    const copy = join(nas, 'database', basename(made));
    assert.equal(await sha256(copy), await sha256(made));
    assert.equal(JSON.parse(await fs.readFile(`${copy}.json`, 'utf8')).file.sha256, await sha256(made));
    assert.match(String((await item(made))?.description), / · local \+ off-site$/);
  });

  /**
   * The Off-site group's rows, as the view shows them. By contextValue, not instanceof: the
   * extension's bundle has classes of its own.
   */
  async function offsiteRows(): Promise<OffsiteBackupItem[]> {
    api.tree.refresh();
    const group = (await api.tree.getChildren()).find((n) => api.tree.getTreeItem(n).contextValue === 'group.offsite');
    assert.ok(group, 'no Off-site group in the Backups view');
    return (await api.tree.getChildren(group)).filter((n) =>
      /^offsite\./.test(api.tree.getTreeItem(n).contextValue ?? ''),
    ) as OffsiteBackupItem[];
  }

  it('after the local backups are lost: the Off-site group lists them "off-site only", and Restore from Off-site downloads one, checks it and dry-runs it before the modal', async () => {
    const copies = (await fs.readdir(join(nas, 'database'))).filter((n) => n.endsWith('.sql.gz')).sort();
    await fs.rm(join(dir, 'backups'), { recursive: true });
    const rows = await offsiteRows();
    assert.deepEqual(rows.map((r) => r.backup.fileName).sort(), copies);
    for (const r of rows) assert.match(String(r.description), / · off-site only · /);
    // Off-site only says the description; the icon keeps saying what kind of backup it is.
    for (const r of rows) assert.equal((r.iconPath as vscode.ThemeIcon).id, 'database');
    const row = rows.find((r) => r.backup.fileName === basename(backup))!;
    assert.equal(row.contextValue, 'offsite.database');

    const details: string[] = [];
    api.setPrompter({
      confirm: async (message, detail) => {
        details.push(`${message}\n${detail}`);
        return undefined;
      },
      typeToConfirm: async () => false,
    });
    assert.equal(await vscode.commands.executeCommand('lifeboat.restoreFromOffsite', row), undefined);
    assert.equal(api.lastError(), undefined, String(api.lastError()));
    const local = join(dir, 'backups', 'database', basename(backup));
    assert.equal(await sha256(local), await sha256(join(nas, 'database', basename(backup))));
    assert.equal(JSON.parse(await fs.readFile(`${local}.json`, 'utf8')).file.sha256, await sha256(local));
    assert.equal(details.length, 1, details.join('\n---\n'));
    assert.match(details[0], /^Replace the live database "sms_db" with this backup\?\n.*Dry run passed: /s);
    assert.match(String((await offsiteRows()).find((r) => r.backup.fileName === basename(backup))?.description), / · local \+ off-site · /);
  });

  it('a copy damaged off-site is refused before anything else happens, and nothing is kept here', async () => {
    const [name] = (await fs.readdir(join(nas, 'database'))).filter((n) => n.endsWith('.sql.gz') && n !== basename(backup));
    const remote = join(nas, 'database', name);
    const bytes = await fs.readFile(remote);
    bytes[bytes.length >> 1] ^= 0xff;
    await fs.writeFile(remote, bytes);
    const row = (await offsiteRows()).find((r) => r.backup.fileName === name)!;
    let asked = 0;
    api.setPrompter({
      confirm: async () => {
        asked++;
        return undefined;
      },
    });
    await vscode.commands.executeCommand('lifeboat.restoreFromOffsite', row);
    assert.match(String(api.lastError()?.message), /does not match its manifest \(same size, different sha256\)/);
    assert.equal(asked, 0);
    assert.deepEqual(
      (await fs.readdir(join(dir, 'backups', 'database'))).filter((n) => n.startsWith(name) || n.includes('partial')),
      [],
    );
  });
});
