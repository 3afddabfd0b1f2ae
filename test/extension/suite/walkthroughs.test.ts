import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';

interface Step {
  id: string;
  description: string;
  media: { markdown?: string };
  completionEvents?: string[];
}

/** The disaster-recovery walkthroughs: every step's page exists and every link runs a command that is registered. */
describe('disaster-recovery walkthroughs', () => {
  it('corruption, storage full and complete failure, each step linked to a registered command', async () => {
    const ext = vscode.extensions.getExtension('lifeboat-dev.lifeboat')!;
    await ext.activate();
    const walkthroughs = ext.packageJSON.contributes.walkthroughs as { id: string; steps: Step[] }[];
    assert.deepEqual(
      walkthroughs.map((w) => w.id),
      ['lifeboat.dr.corruption', 'lifeboat.dr.storageFull', 'lifeboat.dr.completeFailure'],
    );
    const registered = new Set(await vscode.commands.getCommands(true));
    for (const w of walkthroughs) {
      assert.ok(w.steps.length >= 3, w.id);
      for (const s of w.steps) {
        const links = [...s.description.matchAll(/\(command:([\w.]+)(?:\?[^)]*)?\)/g)].map((m) => m[1]);
        assert.ok(links.length > 0, `${w.id}/${s.id} links to no command`);
        for (const c of [...links, ...(s.completionEvents ?? []).map((e) => e.replace(/^onCommand:/, ''))]) {
          assert.ok(registered.has(c), `${w.id}/${s.id}: ${c} is not a registered command`);
        }
        const page = await fs.readFile(join(ext.extensionPath, s.media.markdown!), 'utf8');
        assert.match(page, /^# /, `${s.media.markdown} has no title`);
      }
    }
  });
});
