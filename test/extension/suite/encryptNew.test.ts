import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import * as vscode from 'vscode';
import type { LifeboatApi } from '../../../src/extension/extension';
import type { Prompter } from '../../../src/extension/ui/prompter';

const EXTENSION_ID = 'lifeboat-dev.lifeboat';

/**
 * `lifeboat.encryption.encryptNewBackups` in a real VS Code: Back Up Database leaves only the
 * proven `.age` (and its manifest), and a backup that could not be encrypted stays, with a warning.
 */
describe('encrypt new backups (setting) in the extension host', function () {
  this.timeout(180_000);
  let api: LifeboatApi;
  let dir: string;
  const setSetting = (key: string, value: unknown) =>
    vscode.workspace.getConfiguration('lifeboat').update(key, value, vscode.ConfigurationTarget.Global);
  let warnings: string[] = [];
  let passphrases = 0;

  function answer(passphrase: string | undefined): void {
    warnings = [];
    passphrases = 0;
    const p: Partial<Prompter> = {
      askPassphrase: async () => {
        passphrases++;
        return passphrase;
      },
      warn: async (message) => {
        warnings.push(message);
        return undefined;
      },
    };
    api.setPrompter(p);
  }

  async function databaseItems(): Promise<vscode.TreeItem[]> {
    api.tree.refresh();
    const [database] = await api.tree.getChildren();
    return (await api.tree.getChildren(database)).map((n) => api.tree.getTreeItem(n));
  }

  before(async () => {
    const ext = vscode.extensions.getExtension<LifeboatApi>(EXTENSION_ID);
    assert.ok(ext);
    api = await ext.activate();
    dir = await fs.mkdtemp(join(tmpdir(), 'lifeboat-host-encnew-'));
    await setSetting('backupDirectory', dir);
    await vscode.commands.executeCommand('lifeboat.forgetPassphrase', 'passphrase');
  });

  after(async () => {
    for (const key of ['backupDirectory', 'encryption.encryptNewBackups', 'encryption.keyFile']) await setSetting(key, undefined);
    api.setPrompter(undefined);
  });

  it('with a key file: Back Up Database yields only a proven .age with its manifest, shown encrypted in the tree', async () => {
    const keyFile = join(dir, 'backup_key');
    await fs.writeFile(keyFile, 'encrypt-new key file\n', { mode: 0o600 });
    await setSetting('encryption.keyFile', keyFile);
    await setSetting('encryption.encryptNewBackups', true);
    answer(undefined);
    const made = await vscode.commands.executeCommand<string>('lifeboat.backupDatabase');
    assert.equal(api.lastError(), undefined, String(api.lastError()));
    assert.match(String(made), /\/database\/sms_backup_\d{8}_\d{6}\.sql\.gz\.age$/);
    assert.equal(passphrases, 0, 'the key file answered');
    assert.deepEqual(warnings, []);
    const names = (await fs.readdir(dirname(made!))).sort();
    assert.deepEqual(names, [basename(made!), `${basename(made!)}.json`]);
    assert.equal((await fs.stat(made!)).mode & 0o777, 0o600);
    const m = JSON.parse(await fs.readFile(`${made}.json`, 'utf8'));
    assert.equal(m.encryption.format, 'age');
    assert.match(m.encryption.plaintextSha256, /^[0-9a-f]{64}$/);
    assert.equal(m.file.name, basename(made!));
    assert.equal(m.verifications.at(-1).ok, true, 'the verification made before encrypting is carried over');
    assert.ok(!JSON.stringify(m).includes('encrypt-new key file'));

    const items = await databaseItems();
    assert.equal(items.length, 1);
    assert.match(String(items[0].contextValue), /^backup\.database\.\w+\.encrypted$/);

    // The proof that matters: it verifies from its decryption with the same key.
    const r = await vscode.commands.executeCommand<{ ok: boolean; problem?: string }>(
      'lifeboat.verifyBackup',
      vscode.Uri.file(made!),
      'quick',
    );
    assert.ok(r?.ok, r?.problem);
  });

  it('Archive Config with the setting: verified on creation, then only the .tar.gz.age is left', async () => {
    answer(undefined);
    const made = await vscode.commands.executeCommand<string>('lifeboat.archiveConfig');
    assert.equal(api.lastError(), undefined, String(api.lastError()));
    assert.match(String(made), /\/config\/config_\d{8}_\d{6}\.tar\.gz\.age$/);
    assert.equal(passphrases, 0);
    assert.deepEqual((await fs.readdir(dirname(made!))).sort(), [basename(made!), `${basename(made!)}.json`]);
    const m = JSON.parse(await fs.readFile(`${made}.json`, 'utf8'));
    assert.equal(m.kind, 'config');
    assert.equal(m.verifications.at(-1).ok, true, 'verified before it was encrypted');
    assert.match(m.verifications.at(-1).detail, /gzip and tar whole/);
  });

  it('without a key (the passphrase box dismissed): the backup stays unencrypted and a warning says so', async () => {
    await setSetting('encryption.keyFile', undefined);
    await setSetting('encryption.encryptNewBackups', true);
    answer(undefined);
    const made = await vscode.commands.executeCommand<string>('lifeboat.backupDatabase');
    assert.equal(api.lastError(), undefined, String(api.lastError()));
    assert.match(String(made), /\.sql\.gz$/);
    await fs.access(made!);
    assert.equal(passphrases, 1, 'asked for a passphrase');
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /^sms_backup_\S+\.sql\.gz is kept UNENCRYPTED: no passphrase was given\.$/);
    await fs.rm(made!);
    await fs.rm(`${made}.json`);
  });

  it('off (the default): nothing is encrypted and nothing asked', async () => {
    await setSetting('encryption.encryptNewBackups', undefined);
    answer(undefined);
    const made = await vscode.commands.executeCommand<string>('lifeboat.backupDatabase');
    assert.match(String(made), /\.sql\.gz$/);
    assert.equal(passphrases, 0);
    assert.deepEqual(warnings, []);
  });
});
