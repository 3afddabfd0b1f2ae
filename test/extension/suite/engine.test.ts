import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { LifeboatApi } from '../../../src/extension/extension';

/** The engine setting in a real VS Code: an unreachable engine is named with how it was chosen. */
describe('the Docker engine setting in the extension host', function () {
  this.timeout(60_000);
  let api: LifeboatApi;
  let dir: string;
  const config = () => vscode.workspace.getConfiguration('lifeboat');

  before(async () => {
    api = await vscode.extensions.getExtension<LifeboatApi>('lifeboat-dev.lifeboat')!.activate();
    dir = await fs.mkdtemp(join(tmpdir(), 'lifeboat-engine-host-'));
    await config().update('backupDirectory', dir, vscode.ConfigurationTarget.Global);
  });
  after(async () => {
    for (const key of ['docker.host', 'backupDirectory']) await config().update(key, undefined, vscode.ConfigurationTarget.Global);
    api.tree.refresh();
    await api.tree.getChildren();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('lifeboat.docker.host pointing at a missing socket: the view says which engine and why, and recovers when cleared', async () => {
    await config().update('docker.host', 'unix:///nonexistent/lifeboat-test.sock', vscode.ConfigurationTarget.Global);
    api.tree.refresh();
    const actions = (await api.tree.getChildren()).map((n) => api.tree.getTreeItem(n));
    assert.deepEqual(
      actions.map((i) => i.label),
      ['Retry', 'Choose the Docker Engine…', 'Show Log'],
    );
    assert.deepEqual(actions[1].command?.arguments, ['lifeboat.docker.host']);
    assert.equal(api.tree.state, 'dockerDown');
    assert.match(api.tree.engineProblem ?? '', /unix:\/\/\/nonexistent\/lifeboat-test\.sock \(from the setting lifeboat\.docker\.host\)/);

    await config().update('docker.host', undefined, vscode.ConfigurationTarget.Global);
    api.tree.refresh();
    await api.tree.getChildren();
    assert.equal(api.tree.state, 'empty');
    assert.equal(api.tree.engineProblem, undefined);
  });
});
