import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { readTestConfig } from './config';

const EXTENSION_ID = 'lifeboat-dev.lifeboat';

describe('activation', () => {
  it('the Lifeboat extension is installed', () => {
    assert.ok(vscode.extensions.getExtension(EXTENSION_ID), `${EXTENSION_ID} not found`);
  });

  it('runs from the packaged .vsix outside the checkout, where the checkout\'s node_modules cannot help it', () => {
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
