import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { readTestConfig } from './config';

const EXTENSION_ID = 'lifeboat-dev.lifeboat';

describe('activation', () => {
  it('the Lifeboat extension is installed', () => {
    assert.ok(vscode.extensions.getExtension(EXTENSION_ID), `${EXTENSION_ID} not found`);
  });

  it("runs from the packaged .vsix outside the checkout, where the checkout's node_modules cannot help it", () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    const cfg = readTestConfig();
    assert.equal(path.resolve(ext.extensionPath), path.resolve(cfg.extensionPath));
    const rel = path.relative(cfg.repo, ext.extensionPath);
    assert.ok(rel.startsWith('..') || path.isAbsolute(rel), `${ext.extensionPath} is inside ${cfg.repo}`);
  });

  it('activates and registers its commands', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext);
    await ext.activate();
    assert.equal(ext.isActive, true);
    const commands = await vscode.commands.getCommands(true);
    assert.ok(commands.includes('lifeboat.refresh'), 'lifeboat.refresh is not registered');
  });
});

describe('one voice', () => {
  it('every Explorer context-menu entry says "Lifeboat: …" (VS Code shows no category there) and runs a registered command', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    await ext.activate();
    const contributes = ext.packageJSON.contributes as {
      commands: { command: string; title: string }[];
      menus: Record<string, { command: string }[]>;
    };
    const titles = new Map(contributes.commands.map((c) => [c.command, c.title]));
    const entries = contributes.menus['explorer/context'] ?? [];
    assert.ok(entries.length > 0, 'no explorer/context entries');
    const registered = await vscode.commands.getCommands(true);
    for (const e of entries) {
      assert.match(titles.get(e.command) ?? '', /^Lifeboat: \S/, `${e.command} shows as "${titles.get(e.command)}" in the Explorer`);
      assert.ok(registered.includes(e.command), `${e.command} is not registered`);
    }
  });
});
