import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { LifeboatApi } from '../../../src/extension/extension';
import type { PickItem, Prompter } from '../../../src/extension/ui/prompter';

const EXTENSION_ID = 'lifeboat-dev.lifeboat';

/** Archive Config and Restore Config with review, on the demo folder's real files. */
describe('config archive and restore in the extension host', function () {
  this.timeout(120_000);
  let api: LifeboatApi;
  let workspace: string;
  let nginx: string;
  let original: string;

  before(async () => {
    const ext = vscode.extensions.getExtension<LifeboatApi>(EXTENSION_ID);
    assert.ok(ext);
    api = await ext.activate();
    workspace = vscode.workspace.workspaceFolders![0].uri.fsPath;
    nginx = join(workspace, 'docker', 'nginx.conf');
    original = await fs.readFile(nginx, 'utf8');
    const dir = await fs.mkdtemp(join(tmpdir(), 'lifeboat-host-config-'));
    await vscode.workspace.getConfiguration('lifeboat').update('backupDirectory', dir, vscode.ConfigurationTarget.Global);
  });

  after(async () => {
    await fs.writeFile(nginx, original);
    for (const name of await fs.readdir(join(workspace, 'docker'))) {
      if (name.startsWith('nginx.conf.bak')) await fs.rm(join(workspace, 'docker', name));
    }
    api.setPrompter(undefined);
    await vscode.workspace.getConfiguration('lifeboat').update('backupDirectory', undefined, vscode.ConfigurationTarget.Global);
  });

  it("archives the runbook's config paths privately, with a manifest of every file", async () => {
    const path = await vscode.commands.executeCommand<string>('lifeboat.archiveConfig');
    assert.equal(api.lastError(), undefined, String(api.lastError()));
    assert.match(path ?? '', /config\/config_\d{8}_\d{6}\.tar\.gz$/);
    assert.equal((await fs.stat(path!)).mode & 0o777, 0o600);
    const manifest = JSON.parse(await fs.readFile(`${path}.json`, 'utf8'));
    // Read back on creation (lifeboat.verify.onCreate), like a database backup.
    assert.deepEqual(
      manifest.verifications.map((v: { depth: string; ok: boolean }) => [v.depth, v.ok]),
      [['quick', true]],
    );
    const files = manifest.entries.filter((e: { type: string }) => e.type === 'file').map((e: { path: string }) => e.path);
    for (const f of ['docker-compose.yml', '.env', '.env.production.SECURE', 'docker/nginx.conf'])
      assert.ok(files.includes(f), `${f} in ${files.join(', ')}`);
    assert.ok(files.some((f: string) => f.startsWith('backend/alembic/versions/')));
  });

  it('restores a changed file after review, keeping the workspace copy as .bak', async () => {
    await fs.writeFile(nginx, `${original}\n# an edit made after the archive\n`);
    const offered: string[] = [];
    api.setPrompter({
      pickMany: async (items) => {
        for (const i of items) offered.push(`${i.label} ${i.description} ${i.picked ? 'picked' : ''}`);
        return items.filter((i) => i.picked).map((i) => i.value);
      },
      confirm: async (_m, _d, action) => action,
    });
    const [archive] = (await api.tree.getChildren()).filter((r) => r.label === 'Config');
    const items = await api.tree.getChildren(archive);
    const applied = await vscode.commands.executeCommand<string[]>('lifeboat.restoreConfig', items[0]);
    assert.equal(api.lastError(), undefined, String(api.lastError()));
    assert.deepEqual(applied, ['docker/nginx.conf']);
    assert.ok(
      offered.some((o) => /^docker\/nginx\.conf .*changed.* picked$/.test(o)),
      offered.join('\n'),
    );
    assert.ok(
      offered.some((o) => /^docker-compose\.yml .*identical\s*$/.test(o)),
      offered.join('\n'),
    );
    assert.equal(await fs.readFile(nginx, 'utf8'), original);
    assert.match(await fs.readFile(`${nginx}.bak`, 'utf8'), /an edit made after the archive/);
  });
  it('restores from an encrypted archive (.tar.gz.age, right-click in the Explorer) after the passphrase is given', async () => {
    const plain = (await vscode.commands.executeCommand<string>('lifeboat.archiveConfig'))!;
    assert.equal(api.lastError(), undefined, String(api.lastError()));
    const asked: string[] = [];
    const prompter: Partial<Prompter> = {
      askPassphrase: async (prompt) => (asked.push(prompt), 'host-test: config archive'),
      pick: (async <T>(items: PickItem<T>[]) => items.find((i) => i.value === (false as unknown))?.value) as Prompter['pick'],
      pickMany: async (items) => items.filter((i) => i.picked).map((i) => i.value),
      confirm: async (_m, _d, action) => action,
    };
    api.setPrompter(prompter);
    const sealed = (await vscode.commands.executeCommand<string>('lifeboat.encryptBackup', vscode.Uri.file(plain)))!;
    assert.equal(api.lastError(), undefined, String(api.lastError()));
    assert.equal(sealed, `${plain}.age`);
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    const menu = (ext.packageJSON.contributes.menus['explorer/context'] as { command: string; when: string }[]).find(
      (m) => m.command === 'lifeboat.restoreConfigFromExplorer',
    );
    assert.ok(new RegExp(/resourceFilename =~ \/(.+)\/$/.exec(menu?.when ?? '')![1]).test(sealed.split('/').pop()!), menu?.when);

    await vscode.commands.executeCommand('lifeboat.forgetPassphrase', 'passphrase');
    await fs.writeFile(nginx, `${original}\n# edited after the encrypted archive\n`);
    asked.length = 0;
    const folder = join(sealed, '..');
    const before = (await fs.readdir(folder)).sort();
    const applied = await vscode.commands.executeCommand<string[]>('lifeboat.restoreConfigFromExplorer', vscode.Uri.file(sealed));
    assert.equal(api.lastError(), undefined, String(api.lastError()));
    assert.deepEqual(applied, ['docker/nginx.conf']);
    assert.equal(asked.length, 1, 'the passphrase was asked once');
    assert.equal(await fs.readFile(nginx, 'utf8'), original);
    assert.deepEqual((await fs.readdir(folder)).sort(), before, 'no decrypted archive beside the encrypted one');
  });

  it('a config path that is a folder of thousands of files: archived whole, and the one file changed among them found, picked and restored', async function () {
    this.timeout(240_000);
    const rel = '.lifeboat-test-many';
    const many = join(workspace, rel);
    const config = vscode.workspace.getConfiguration('lifeboat');
    await fs.rm(many, { recursive: true, force: true });
    try {
      for (let d = 0; d < 40; d++) {
        const sub = join(many, `d${String(d).padStart(2, '0')}`);
        await fs.mkdir(sub, { recursive: true });
        await Promise.all(
          Array.from({ length: 100 }, (_, i) => fs.writeFile(join(sub, `f${String(i).padStart(3, '0')}.conf`), `key=${d}-${i}\n`)),
        );
      }
      await config.update('config.paths', [rel, 'docker-compose.yml'], vscode.ConfigurationTarget.Global);
      const t0 = Date.now();
      const path = await vscode.commands.executeCommand<string>('lifeboat.archiveConfig');
      const archiveMs = Date.now() - t0;
      assert.equal(api.lastError(), undefined, String(api.lastError()));
      const manifest = JSON.parse(await fs.readFile(`${path}.json`, 'utf8'));
      const files = manifest.entries.filter((e: { type: string }) => e.type === 'file');
      assert.equal(files.length, 4001, '4000 files of the folder and the compose file');
      assert.ok(files.some((e: { path: string }) => e.path === `${rel}/d39/f099.conf`));
      assert.ok(archiveMs < 60_000, `archived in ${archiveMs} ms`);

      // One file of the 4000 changed since: the review lists them all, only that one is picked.
      const edited = join(many, 'd17', 'f042.conf');
      await fs.writeFile(edited, 'key=edited\n');
      let offered = 0;
      let picked: string[] = [];
      api.setPrompter({
        pickMany: async (items) => {
          offered = items.length;
          const chosen = items.filter((i) => i.picked).map((i) => i.value);
          picked = chosen.map(String);
          return chosen;
        },
        confirm: async (_m, _d, action) => action,
      });
      const t1 = Date.now();
      const applied = await vscode.commands.executeCommand<string[]>('lifeboat.restoreConfig', vscode.Uri.file(path!));
      const reviewMs = Date.now() - t1;
      assert.equal(api.lastError(), undefined, String(api.lastError()));
      assert.equal(offered, 4001);
      assert.deepEqual(picked, [`${rel}/d17/f042.conf`]);
      assert.deepEqual(applied, [`${rel}/d17/f042.conf`]);
      assert.equal(await fs.readFile(edited, 'utf8'), 'key=17-42\n');
      assert.equal(await fs.readFile(`${edited}.bak`, 'utf8'), 'key=edited\n');
      assert.ok(reviewMs < 60_000, `staged and compared in ${reviewMs} ms`);
    } finally {
      await config.update('config.paths', undefined, vscode.ConfigurationTarget.Global);
      await fs.rm(many, { recursive: true, force: true });
    }
  });
});
