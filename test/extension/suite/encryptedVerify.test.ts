import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import * as vscode from 'vscode';
import type { VerifyResult } from '../../../src/core/verify';
import type { LifeboatApi } from '../../../src/extension/extension';
import type { PickItem, Prompter } from '../../../src/extension/ui/prompter';

const EXTENSION_ID = 'lifeboat-dev.lifeboat';
const PASSPHRASE = 'host-test: verify me encrypted';

/**
 * Verify Backup and Restore Database on an `.age` backup in a real VS Code, the way a right-click
 * in the Explorer runs them: the passphrase is asked through the same password box as Decrypt
 * Backup, and no decrypted copy appears next to the backup.
 */
describe('encrypted backups: verify and restore in the extension host', function () {
  this.timeout(180_000);
  let api: LifeboatApi;
  let dir: string;
  let sealed: string;
  const setSetting = (key: string, value: unknown) =>
    vscode.workspace.getConfiguration('lifeboat').update(key, value, vscode.ConfigurationTarget.Global);
  let asked: string[] = [];

  function answer(passphrase: string | undefined, extra: Partial<Prompter> = {}): void {
    asked = [];
    api.setPrompter({
      askPassphrase: async (prompt) => {
        asked.push(prompt);
        return passphrase;
      },
      pick: (async <T>(items: PickItem<T>[]) => items.find((i) => i.value === (false as unknown))?.value) as Prompter['pick'],
      confirm: async (_m, _d, action) => (action === 'Delete Unencrypted' ? action : undefined),
      ...extra,
    });
  }

  /** The regex of an Explorer menu's `resourceFilename =~ /…/` clause, from the extension's package.json. */
  /** The Explorer offers each command as its "Lifeboat: …"-titled twin, <command>FromExplorer. */
  function explorerRegex(command: string): RegExp {
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    const item = (ext.packageJSON.contributes.menus['explorer/context'] as { command: string; when: string }[]).find(
      (m) => m.command === `${command}FromExplorer`,
    );
    const m = /resourceFilename =~ \/(.+)\/$/.exec(item?.when ?? '');
    assert.ok(m, `no Explorer menu for ${command}`);
    return new RegExp(m[1]);
  }

  before(async () => {
    const ext = vscode.extensions.getExtension<LifeboatApi>(EXTENSION_ID);
    assert.ok(ext);
    api = await ext.activate();
    dir = await fs.mkdtemp(join(tmpdir(), 'lifeboat-host-encverify-'));
    await setSetting('backupDirectory', dir);
    await vscode.commands.executeCommand('lifeboat.forgetPassphrase', 'passphrase');
    const plain = (await vscode.commands.executeCommand<string>('lifeboat.backupDatabase'))!;
    assert.equal(api.lastError(), undefined, String(api.lastError()));
    answer(PASSPHRASE);
    sealed = (await vscode.commands.executeCommand<string>('lifeboat.encryptBackup', vscode.Uri.file(plain)))!;
    assert.equal(api.lastError(), undefined, String(api.lastError()));
    assert.equal(sealed, `${plain}.age`);
    await assert.rejects(fs.access(plain), 'only the encrypted backup is left');
  });

  after(async () => {
    await setSetting('backupDirectory', undefined);
    api.setPrompter(undefined);
  });

  it('the Explorer offers Verify and Restore on .sql.gz.age and .sql.gz.enc', () => {
    for (const command of ['lifeboat.verifyBackup', 'lifeboat.restoreDatabase']) {
      const re = explorerRegex(command);
      assert.ok(re.test(basename(sealed)), `${command} on ${basename(sealed)}`);
      assert.ok(re.test('sms_backup_20260101_000000.sql.gz.enc'), `${command} on .enc`);
    }
    assert.ok(explorerRegex('lifeboat.verifyBackup').test('config_20260101_000000.tar.gz.age'));
  });

  it('Verify Backup on the .age asks its passphrase once, passes, records it, and writes no plaintext', async () => {
    const before = (await fs.readdir(dirname(sealed))).sort();
    answer(PASSPHRASE);
    const r = await vscode.commands.executeCommand<VerifyResult>('lifeboat.verifyBackup', vscode.Uri.file(sealed), 'full');
    assert.equal(api.lastError(), undefined, String(api.lastError()));
    assert.ok(r?.ok, r?.problem);
    assert.equal(asked.length, 1);
    assert.match(asked[0], /^Passphrase of sms_backup_\d{8}_\d{6}\.sql\.gz\.age$/);
    assert.ok(r.checks.includes('sha256 of the decrypted content matches the manifest'), r.checks.join('; '));
    const m = JSON.parse(await fs.readFile(`${sealed}.json`, 'utf8'));
    assert.equal(m.verifications.at(-1).ok, true);
    assert.equal(m.verifications.at(-1).depth, r.depth);
    assert.deepEqual((await fs.readdir(dirname(sealed))).sort(), before);
  });

  it('a wrong passphrase is an error that names the file; nothing is recorded', async () => {
    const manifestBefore = await fs.readFile(`${sealed}.json`, 'utf8');
    answer('not it');
    assert.equal(await vscode.commands.executeCommand('lifeboat.verifyBackup', vscode.Uri.file(sealed), 'quick'), undefined);
    const err = api.lastError();
    assert.ok(err, 'an error was shown');
    assert.match(err.message, /^"sms_backup_\S+\.sql\.gz\.age": wrong passphrase/);
    assert.equal(await fs.readFile(`${sealed}.json`, 'utf8'), manifestBefore);
  });

  it('Restore Database from the .age runs the dry run from the decryption; declining changes nothing', async () => {
    const before = (await fs.readdir(dirname(sealed))).sort();
    let summary = '';
    answer(PASSPHRASE, {
      confirm: async (message, detail) => {
        summary = `${message}\n${detail}`;
        return undefined;
      },
    });
    assert.equal(await vscode.commands.executeCommand('lifeboat.restoreDatabase', vscode.Uri.file(sealed)), undefined);
    assert.equal(api.lastError(), undefined, String(api.lastError()));
    assert.equal(asked.length, 1);
    assert.match(summary, /Dry run passed: \d+ tables/);
    assert.deepEqual((await fs.readdir(dirname(sealed))).sort(), before);
  });
});
