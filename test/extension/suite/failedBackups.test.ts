import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import * as vscode from 'vscode';
import type { LifeboatApi } from '../../../src/extension/extension';
import type { PickItem, Prompter } from '../../../src/extension/ui/prompter';

/**
 * A backup that failed verification is not offered as if it were good: the restore refusal
 * is recorded, the header does not count it (nor encrypted copies) as a backup, and Restore
 * Database offers it last and asks again.
 */
describe('backups that failed verification', function () {
  this.timeout(240_000);
  let api: LifeboatApi;
  let good: string;
  let bad: string;
  const config = () => vscode.workspace.getConfiguration('lifeboat');

  before(async () => {
    api = await vscode.extensions.getExtension<LifeboatApi>('lifeboat-dev.lifeboat')!.activate();
    const dir = await fs.mkdtemp(join(tmpdir(), 'lifeboat-host-failed-'));
    await config().update('backupDirectory', dir, vscode.ConfigurationTarget.Global);
    good = (await vscode.commands.executeCommand<string>('lifeboat.backupDatabase'))!;
    assert.ok(good, String(api.lastError()));
    await new Promise((r) => setTimeout(r, 1100)); // backup names have one-second resolution
    bad = (await vscode.commands.executeCommand<string>('lifeboat.backupDatabase'))!;
    assert.ok(bad, String(api.lastError()));
  });

  after(async () => {
    api.setPrompter(undefined);
    await config().update('backupDirectory', undefined, vscode.ConfigurationTarget.Global);
  });

  it('a restore refused because the file changed records a failed verification in its manifest', async () => {
    // Still a complete pg_dump script, just not the one the manifest recorded.
    const text = gunzipSync(await fs.readFile(bad)).toString('utf8');
    const edited = text.replace('-- PostgreSQL database dump', '-- PostgreSQL database dump, edited');
    assert.notEqual(edited, text);
    await fs.writeFile(bad, gzipSync(edited));
    const before = JSON.parse(await fs.readFile(`${bad}.json`, 'utf8'));
    assert.equal(before.verifications.at(-1).ok, true, 'verified when it was made');
    api.setPrompter({
      confirm: async (m, _d, action) => (/failed verification/.test(m) ? action : undefined),
      typeToConfirm: async () => false,
    });
    assert.equal(await vscode.commands.executeCommand('lifeboat.restoreDatabase', vscode.Uri.file(bad)), undefined);
    assert.match(String(api.lastError()?.message), /does not match its manifest/);
    const after = JSON.parse(await fs.readFile(`${bad}.json`, 'utf8'));
    assert.equal(after.verifications.at(-1).ok, false);
    assert.match(after.verifications.at(-1).detail, /^restore refused: .*does not match its manifest/);
  });

  it('the header counts neither the failed backup nor an encrypted copy as a backup', async () => {
    await fs.writeFile(`${good}.age`, 'age-encryption.org/v1\nan encrypted copy');
    await fs.chmod(`${good}.age`, 0o600);
    await vscode.commands.executeCommand('lifeboat.refresh');
    await api.header.refresh();
    assert.match(String(api.header.text), /^1 backup \(1 failed, 1 encrypted copy\) · /);
    await fs.rm(`${good}.age`);
  });

  it('Restore Database offers a failed backup last, marked, and asks again before using it', async () => {
    const offered: PickItem<string>[] = [];
    const asked: string[] = [];
    api.setPrompter({
      pick: (async <T>(items: PickItem<T>[]) => {
        offered.push(...(items as unknown as PickItem<string>[]));
        return bad as unknown as T;
      }) as Prompter['pick'],
      confirm: async (message) => {
        asked.push(message);
        return undefined;
      },
    });
    assert.equal(await vscode.commands.executeCommand('lifeboat.restoreDatabase'), undefined);
    assert.equal(api.lastError(), undefined, String(api.lastError()));
    assert.deepEqual(
      offered.map((i) => i.value),
      [good, bad],
      'the newer but failed backup comes last',
    );
    assert.match(String(offered[1].description), /failed verification/);
    assert.deepEqual(asked, [`"${basename(bad)}" failed verification. Restore it anyway?`]);
  });
});
