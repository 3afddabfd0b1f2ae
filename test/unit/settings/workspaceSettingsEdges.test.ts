import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { settingsTree, workspaceSettingsSource } from '../../../src/cli/workspaceSettings';
import { LifeboatError, SettingsError } from '../../../src/core/common';

describe("workspace settings edges (the command line's reader)", () => {
  let folder: string;
  beforeEach(async () => {
    folder = await fs.mkdtemp(join(tmpdir(), 'lb-wsedge-'));
    await fs.mkdir(join(folder, '.vscode'));
  });
  afterEach(async () => {
    await fs.rm(folder, { recursive: true, force: true });
  });

  it('a settings file that cannot be read, or is not JSON, is an error naming the file', async () => {
    const file = join(folder, '.vscode', 'settings.json');
    await fs.mkdir(file);
    await assert.rejects(
      workspaceSettingsSource(folder),
      (err: Error) => err instanceof LifeboatError && err.message.startsWith(`Cannot read ${file}: EISDIR`),
    );
    await fs.rm(file, { recursive: true });
    await fs.writeFile(file, '{ "lifeboat.backupPrefix": ');
    await assert.rejects(
      workspaceSettingsSource(folder),
      (err: Error) =>
        err instanceof SettingsError &&
        err.message.startsWith(`${file} is not valid JSON`) &&
        /VS Code marks the error/.test(err.hint ?? ''),
    );
  });

  it('a file that holds only whitespace, or a list, reads as no settings', async () => {
    for (const text of ['  \n', '[1, 2]']) {
      await fs.writeFile(join(folder, '.vscode', 'settings.json'), text);
      const s = await workspaceSettingsSource(folder);
      assert.equal(s.get('backupPrefix'), '', text);
    }
  });

  it('language sections are ignored; a key through a plain value is dropped, as VS Code does', () => {
    const tree = settingsTree({}, { '[python]': { 'lifeboat.x': 1 }, 'lifeboat.a': 5, 'lifeboat.a.b': 6, 'lifeboat.c.d': 7 });
    assert.deepEqual(JSON.parse(JSON.stringify(tree)), { lifeboat: { a: 5, c: { d: 7 } } });
  });

  it('a lookup through a plain value, or of something unset, is undefined; a value read is a copy', async () => {
    await fs.writeFile(
      join(folder, '.vscode', 'settings.json'),
      JSON.stringify({ 'lifeboat.backupPrefix': 'shop', 'lifeboat.app.healthExpect': { status: 'ok' } }),
    );
    const s = await workspaceSettingsSource(folder);
    assert.equal(s.get('backupPrefix.more'), undefined);
    assert.equal(s.get('no.such.setting'), undefined);
    const expect = s.get<Record<string, string>>('app.healthExpect')!;
    expect.status = 'changed';
    assert.deepEqual(s.get('app.healthExpect'), { status: 'ok' });
  });
});
