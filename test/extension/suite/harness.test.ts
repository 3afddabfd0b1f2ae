// Checks the harness itself: the runner's config reaches the extension host, and the window
// opened the configured workspace folder.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { configPath, readTestConfig } from './config';

describe('harness', () => {
  it('reads the runner config', () => {
    assert.ok(fs.existsSync(configPath()), `${configPath()} missing`);
    const cfg = readTestConfig();
    assert.ok(fs.existsSync(cfg.repo));
    assert.equal(vscode.workspace.workspaceFolders?.[0]?.uri.fsPath, cfg.workspace);
  });

  it('runs in the Node of code-server', () => {
    // code-server 4.139 runs the extension host on Node 24.
    assert.ok(Number(process.versions.node.split('.')[0]) >= 22, process.versions.node);
  });
});
