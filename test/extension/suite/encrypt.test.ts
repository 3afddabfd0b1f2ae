import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import * as vscode from 'vscode';
import type { LifeboatApi } from '../../../src/extension/extension';
import type { PickItem, Prompter } from '../../../src/extension/ui/prompter';

const EXTENSION_ID = 'lifeboat-dev.lifeboat';
const PASSPHRASE = 'host-test passphrase: tr0ub4dor&3';

async function sha256(path: string): Promise<string> {
  return createHash('sha256')
    .update(await fs.readFile(path))
    .digest('hex');
}

/**
 * Encrypt Backup, Decrypt Backup and Forget Saved Passphrase in a real VS Code, on a real
 * backup of the demo stack. Only the answers to questions are scripted (the API's prompter):
 * the password box, the "remember?" pick and the modals.
 */
describe('encrypt and decrypt in the extension host', function () {
  this.timeout(180_000);
  let api: LifeboatApi;
  let dir: string;
  let backup: string;
  let backupSha: string;
  const config = () => vscode.workspace.getConfiguration('lifeboat');
  const setSetting = (key: string, value: unknown) => config().update(key, value, vscode.ConfigurationTarget.Global);
  const asked: { passphrase: { prompt: string; confirm: boolean }[]; confirm: string[]; pick: string[] } = {
    passphrase: [],
    confirm: [],
    pick: [],
  };

  /** A prompter that records every question; `passphrase` undefined fails the test if asked. */
  function answer(a: { passphrase?: string; remember?: boolean; confirm?: string; pickPath?: string }): void {
    asked.passphrase = [];
    asked.confirm = [];
    asked.pick = [];
    const p: Partial<Prompter> = {
      askPassphrase: async (prompt, opts) => {
        asked.passphrase.push({ prompt, confirm: opts.confirm });
        return a.passphrase;
      },
      confirm: async (message, _detail, action) => {
        asked.confirm.push(message);
        return a.confirm === action ? action : undefined;
      },
      pick: (async <T>(items: PickItem<T>[], placeHolder: string) => {
        asked.pick.push(placeHolder);
        if (placeHolder === 'Remember this passphrase?') return items.find((i) => i.value === (a.remember ?? false))?.value;
        return items.find((i) => i.value === (a.pickPath as unknown))?.value;
      }) as Prompter['pick'],
    };
    api.setPrompter(p);
  }

  async function treeItem(path: string): Promise<vscode.TreeItem | undefined> {
    api.tree.refresh();
    const [database] = await api.tree.getChildren();
    const items = (await api.tree.getChildren(database)).map((n) => api.tree.getTreeItem(n));
    return items.find((i) => (i.resourceUri as vscode.Uri | undefined)?.fsPath === path);
  }

  before(async () => {
    const ext = vscode.extensions.getExtension<LifeboatApi>(EXTENSION_ID);
    assert.ok(ext);
    api = await ext.activate();
    dir = await fs.mkdtemp(join(tmpdir(), 'lifeboat-host-enc-'));
    await setSetting('backupDirectory', dir);
    await vscode.commands.executeCommand('lifeboat.forgetPassphrase', 'passphrase');
    backup = (await vscode.commands.executeCommand<string>('lifeboat.backupDatabase'))!;
    assert.equal(api.lastError(), undefined, String(api.lastError()));
    backupSha = await sha256(backup);
  });

  after(async () => {
    await vscode.commands.executeCommand('lifeboat.forgetPassphrase', 'passphrase');
    for (const key of ['backupDirectory', 'encryption.format', 'encryption.keyFile']) await setSetting(key, undefined);
    api.setPrompter(undefined);
  });

  it('Encrypt Backup: a typed passphrase (twice), proven, manifest with fingerprint, tree item .encrypted; the original kept when asked', async () => {
    answer({ passphrase: PASSPHRASE, remember: false });
    const encrypted = await vscode.commands.executeCommand<string>('lifeboat.encryptBackup', vscode.Uri.file(backup));
    assert.equal(api.lastError(), undefined, String(api.lastError()));
    assert.equal(encrypted, `${backup}.age`);
    assert.deepEqual(
      asked.passphrase.map((q) => q.confirm),
      [true],
    );
    assert.deepEqual(asked.pick, ['Remember this passphrase?']);
    assert.equal(asked.confirm.length, 1);
    assert.match(asked.confirm[0], /^Delete the unencrypted "sms_backup_\d{8}_\d{6}\.sql\.gz"\?$/);
    assert.equal(await sha256(backup), backupSha, 'the original is untouched');

    assert.equal((await fs.stat(encrypted)).mode & 0o777, 0o600);
    const text = await fs.readFile(`${encrypted}.json`, 'utf8');
    assert.ok(!text.includes(PASSPHRASE), 'no passphrase in the manifest');
    const m = JSON.parse(text);
    assert.equal(m.encryption.format, 'age');
    assert.equal(m.encryption.keyFingerprint, 'scrypt');
    assert.equal(m.encryption.plaintextSha256, backupSha);
    assert.equal(m.file.name, encrypted.split('/').pop());
    assert.equal(m.source.database, 'sms_db');

    const item = await treeItem(encrypted);
    assert.ok(item, 'the encrypted backup is in the tree');
    assert.match(String(item.contextValue), /^backup\.database\.\w+\.encrypted$/);
    const original = await treeItem(backup);
    assert.ok(original, 'the original is still listed');
    // Issue 14.8: a copy that differs only by its lock reads as a second backup; it sits under its original and says what it is.
    const [database] = await api.tree.getChildren();
    const rows = (await api.tree.getChildren(database)).map((n) => api.tree.getTreeItem(n));
    const at = rows.findIndex((i) => (i.resourceUri as vscode.Uri | undefined)?.fsPath === encrypted);
    assert.equal((rows[at - 1]?.resourceUri as vscode.Uri | undefined)?.fsPath, backup, 'the copy comes right after its original');
    assert.equal(item.label, '↳ encrypted (age)');
    assert.match(String(item.description), /^[\d.]+ [KMG]?B$/, 'its size: its time is that of the row above');
    assert.match(String(original.label), /^(Today|Yesterday) \d{2}:\d{2}$/);
    assert.match(
      (item.tooltip as vscode.MarkdownString).value,
      new RegExp(`Encrypted \\(age\\) copy of \`${basename(backup).replace(/\./g, '\\.')}\``),
    );
    assert.ok(!(await fs.readdir(dirname(backup))).some((n) => n.endsWith('.partial')));
  });

  it('Decrypt Backup asks before replacing an existing plaintext, then decrypts to the same sha256', async () => {
    const encrypted = `${backup}.age`;
    answer({ passphrase: PASSPHRASE });
    assert.equal(await vscode.commands.executeCommand('lifeboat.decryptBackup', vscode.Uri.file(encrypted)), undefined);
    assert.deepEqual(
      asked.confirm.map((c) => c.replace(/\d/g, '0')),
      ['Replace "sms_backup_00000000_000000.sql.gz"?'],
    );
    assert.equal(asked.passphrase.length, 0, 'no passphrase asked once the replace was declined');

    await fs.rm(backup);
    await fs.rm(`${backup}.json`);
    answer({ passphrase: PASSPHRASE, remember: false });
    const plain = await vscode.commands.executeCommand<string>('lifeboat.decryptBackup', vscode.Uri.file(encrypted));
    assert.equal(api.lastError(), undefined, String(api.lastError()));
    assert.equal(plain, backup);
    assert.deepEqual(
      asked.passphrase.map((q) => q.confirm),
      [false],
    );
    assert.equal(await sha256(backup), backupSha);
    const m = JSON.parse(await fs.readFile(`${backup}.json`, 'utf8'));
    assert.equal(m.file.sha256, backupSha);
    assert.equal(m.encryption, undefined);
  });

  it('a wrong passphrase is reported through lastError() and leaves no plaintext', async () => {
    const encrypted = `${backup}.age`;
    await fs.rm(backup);
    await fs.rm(`${backup}.json`);
    const before = (await fs.readdir(dirname(backup))).sort();
    answer({ passphrase: 'not the passphrase', remember: true });
    assert.equal(await vscode.commands.executeCommand('lifeboat.decryptBackup', vscode.Uri.file(encrypted)), undefined);
    const err = api.lastError() as (Error & { hint?: string }) | undefined;
    assert.ok(err, 'an error was shown');
    assert.match(err.message, /^Cannot decrypt "sms_backup_\S+\.sql\.gz\.age": wrong passphrase/);
    assert.ok(!err.message.includes('not the passphrase') && !(err.hint ?? '').includes('not the passphrase'));
    // The notification runs message and hint together: the message ends as a sentence first.
    assert.match(api.lastErrorText() ?? '', /: wrong passphrase or key\. \S/);
    assert.deepEqual((await fs.readdir(dirname(backup))).sort(), before);

    // "Remember" was chosen, but a passphrase that did not work is not saved: the next run asks again.
    answer({ passphrase: PASSPHRASE, remember: false });
    assert.equal(await vscode.commands.executeCommand('lifeboat.decryptBackup', vscode.Uri.file(encrypted)), backup);
    assert.equal(asked.passphrase.length, 1);
  });

  it('OpenSSL from the palette, remembered in SecretStorage, the original deleted on request; Forget asks again', async () => {
    await setSetting('encryption.format', 'openssl');
    const second = (await vscode.commands.executeCommand<string>('lifeboat.backupDatabase'))!;
    const secondSha = await sha256(second);
    answer({ passphrase: PASSPHRASE, remember: true, confirm: 'Delete Unencrypted', pickPath: second });
    const encrypted = await vscode.commands.executeCommand<string>('lifeboat.encryptBackup');
    assert.equal(api.lastError(), undefined, String(api.lastError()));
    assert.equal(encrypted, `${second}.enc`);
    assert.deepEqual(asked.pick, ['Choose the backup to encrypt', 'Remember this passphrase?']);
    await assert.rejects(fs.access(second), 'the unencrypted original was deleted');
    await assert.rejects(fs.access(`${second}.json`));
    const m = JSON.parse(await fs.readFile(`${encrypted}.json`, 'utf8'));
    assert.equal(m.encryption.keyFingerprint, 'aes-256-cbc:pbkdf2-sha256:10000');
    assert.equal(m.encryption.plaintextSha256, secondSha);
    assert.match(String((await treeItem(encrypted))?.contextValue), /\.encrypted$/);

    // Saved: decrypting asks no passphrase.
    answer({ passphrase: undefined, pickPath: encrypted });
    assert.equal(await vscode.commands.executeCommand('lifeboat.decryptBackup'), second);
    assert.equal(api.lastError(), undefined, String(api.lastError()));
    assert.deepEqual(asked.passphrase, []);
    assert.equal(await sha256(second), secondSha);

    assert.equal(await vscode.commands.executeCommand('lifeboat.forgetPassphrase', 'passphrase'), true);
    assert.equal(await vscode.commands.executeCommand('lifeboat.forgetPassphrase', 'passphrase'), false);
    await fs.rm(second);
    answer({ passphrase: undefined });
    assert.equal(await vscode.commands.executeCommand('lifeboat.decryptBackup', vscode.Uri.file(encrypted)), undefined);
    assert.equal(asked.passphrase.length, 1, 'asked again after Forget');
    assert.equal(api.lastError(), undefined, 'dismissing the password box is not an error');
    await assert.rejects(fs.access(second));
  });

  it('a key file readable by others is refused with the chmod to run; at 0600 it encrypts without asking', async () => {
    await setSetting('encryption.format', 'age');
    const keyFile = join(dir, 'backup_key');
    await fs.writeFile(keyFile, 'key-file passphrase\n', { mode: 0o644 });
    await fs.chmod(keyFile, 0o644);
    await setSetting('encryption.keyFile', keyFile);
    try {
      answer({ passphrase: undefined, remember: false });
      assert.equal(await vscode.commands.executeCommand('lifeboat.encryptBackup', vscode.Uri.file(backup)), undefined);
      const err = api.lastError() as (Error & { hint?: string }) | undefined;
      assert.ok(err);
      assert.match(err.message, /readable or writable by other users \(mode 644\)/);
      assert.match(err.hint ?? '', /chmod 600/);
      // Notifications render no Markdown: the command to run is quoted, not in backticks.
      assert.match(api.lastErrorText() ?? '', /"chmod 600 \S+"/);
      assert.ok(!(api.lastErrorText() ?? '').includes('`'), api.lastErrorText());
      assert.ok(!(await fs.readdir(dirname(backup))).some((n) => n.endsWith('.partial')));

      await fs.rm(`${backup}.age`);
      await fs.rm(`${backup}.age.json`);
      await fs.chmod(keyFile, 0o600);
      const encrypted = await vscode.commands.executeCommand<string>('lifeboat.encryptBackup', vscode.Uri.file(backup));
      assert.equal(api.lastError(), undefined, String(api.lastError()));
      assert.equal(encrypted, `${backup}.age`);
      assert.deepEqual(asked.passphrase, [], 'the key file answered');
      assert.ok(!(await fs.readFile(`${encrypted}.json`, 'utf8')).includes('key-file passphrase'));
      await fs.rm(backup);
      assert.equal(await vscode.commands.executeCommand('lifeboat.decryptBackup', vscode.Uri.file(encrypted)), backup);
      assert.equal(await sha256(backup), backupSha);
    } finally {
      await setSetting('encryption.keyFile', undefined);
    }
  });

  it('a weak passphrase is questioned ("Choose Another" asks again, "Use Anyway" goes on); remembering is offered after the encryption, never first', async () => {
    await fs.rm(`${backup}.age`, { force: true });
    await fs.rm(`${backup}.age.json`, { force: true });
    const typed = ['abc', 'abc'];
    const confirms: { message: string; action: string; safe: string }[] = [];
    const picks: { placeHolder: string; first: unknown; encrypted: boolean }[] = [];
    api.setPrompter({
      askPassphrase: async () => typed.shift(),
      confirm: async (message, _detail, action, safe) => {
        confirms.push({ message, action, safe });
        return message === 'Use this weak passphrase?' && confirms.length === 2 ? action : undefined;
      },
      pick: (async <T>(items: PickItem<T>[], placeHolder: string) => {
        picks.push({
          placeHolder,
          first: items[0].value,
          encrypted: await fs.access(`${backup}.age`).then(
            () => true,
            () => false,
          ),
        });
        return items.find((i) => i.value === (false as unknown))?.value;
      }) as Prompter['pick'],
    });
    const encrypted = await vscode.commands.executeCommand<string>('lifeboat.encryptBackup', vscode.Uri.file(backup));
    assert.equal(api.lastError(), undefined, String(api.lastError()));
    assert.equal(encrypted, `${backup}.age`);
    assert.equal(typed.length, 0, 'after "Choose Another" the passphrase was asked again');
    assert.deepEqual(
      confirms.map((c) => [c.message, c.action, c.safe]),
      [
        ['Use this weak passphrase?', 'Use Anyway', 'Choose Another'],
        ['Use this weak passphrase?', 'Use Anyway', 'Choose Another'],
        [`Delete the unencrypted "${backup.split('/').pop()}"?`, 'Delete Unencrypted', 'Keep Unencrypted'],
      ],
    );
    assert.deepEqual(
      picks,
      [{ placeHolder: 'Remember this passphrase?', first: false, encrypted: true }],
      'asked once it worked; "this time only" comes first',
    );
  });

  it('Decrypt Backup offers to remember a typed passphrase only once it opened the file', async () => {
    const encrypted = `${backup}.age`;
    await fs.rm(backup, { force: true });
    await fs.rm(`${backup}.json`, { force: true });
    const picks: { placeHolder: string; decrypted: boolean }[] = [];
    const prompter = (passphrase: string): Partial<Prompter> => ({
      askPassphrase: async () => passphrase,
      confirm: async () => undefined,
      pick: (async <T>(items: PickItem<T>[], placeHolder: string) => {
        picks.push({
          placeHolder,
          decrypted: await fs.access(backup).then(
            () => true,
            () => false,
          ),
        });
        return items.find((i) => i.value === (false as unknown))?.value;
      }) as Prompter['pick'],
    });
    api.setPrompter(prompter('not it at all, sorry'));
    assert.equal(await vscode.commands.executeCommand('lifeboat.decryptBackup', vscode.Uri.file(encrypted)), undefined);
    assert.match(String(api.lastError()?.message), /wrong passphrase/);
    assert.deepEqual(picks, [], 'a passphrase that did not work is not offered for the keychain');

    api.setPrompter(prompter('abc'));
    assert.equal(await vscode.commands.executeCommand('lifeboat.decryptBackup', vscode.Uri.file(encrypted)), backup);
    assert.equal(api.lastError(), undefined, String(api.lastError()));
    assert.deepEqual(picks, [{ placeHolder: 'Remember this passphrase?', decrypted: true }]);
  });
});
