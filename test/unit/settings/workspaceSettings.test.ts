import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readWorkspaceSettings } from '../../../src/cli/workspaceSettings';
import { parseJsonc } from '../../../src/cli/jsonc';

async function folderWith(settingsText: string | Buffer): Promise<string> {
  const folder = await fs.mkdtemp(join(tmpdir(), 'lb-settings-'));
  await fs.mkdir(join(folder, '.vscode'));
  await fs.writeFile(join(folder, '.vscode', 'settings.json'), settingsText);
  return folder;
}

const read = async (settings: unknown) => readWorkspaceSettings(await folderWith(JSON.stringify(settings)));

describe('readWorkspaceSettings (the command line reads settings.json as VS Code does)', () => {
  it('reads a retention object in every spelling VS Code accepts', async () => {
    const forms = [
      { 'lifeboat.retention.database': { keepLast: 10 } },
      { 'lifeboat.retention': { database: { keepLast: 10 } } },
      { lifeboat: { retention: { database: { keepLast: 10 } } } },
      { lifeboat: { retention: { database: { keepLast: 10 } } }, 'editor.tabSize': 2 },
    ];
    for (const form of forms) {
      const settings = await read(form);
      // VS Code merges an object setting over its default, so the 30 days stay and the rules add up.
      assert.deepEqual(settings.retention.database, { maxAgeDays: 30, keepLast: 10 }, JSON.stringify(form));
      assert.deepEqual(settings.retention.config, { maxAgeDays: 183 }, JSON.stringify(form));
    }
  });

  it('merges dotted keys and nested objects into one tree, later keys winning', async () => {
    const settings = await read({
      lifeboat: { app: { healthUrl: 'http://127.0.0.1:8000/health' }, compressionLevel: 3 },
      'lifeboat.app.healthExpect': { status: 'healthy', 'db.state': 'up' },
      'lifeboat.compressionLevel': 8,
    });
    assert.equal(settings.compressionLevel, 8);
    assert.equal(settings.health?.url, 'http://127.0.0.1:8000/health');
    // Keys inside a setting's own object value are not setting paths.
    assert.deepEqual(settings.health?.expect, { status: 'healthy', 'db.state': 'up' });
  });

  it('a nested object written after a dotted key replaces it, as in VS Code', async () => {
    const settings = await read({ 'lifeboat.backupPrefix': 'first', lifeboat: { composeProject: 'sms' } });
    assert.equal(settings.backupPrefix, '');
    assert.equal(settings.discovery.composeProject, 'sms');
  });

  it('defaults apply where nothing is set', async () => {
    const settings = await read({ 'editor.tabSize': 2 });
    assert.equal(settings.compressionLevel, 6);
    assert.deepEqual(settings.retention.volume, { maxAgeDays: 28 });
    assert.deepEqual(settings.configPaths, [
      'docker-compose.yml',
      '.env',
      '.env.production.SECURE',
      'docker/nginx.conf',
      'backend/alembic/versions/',
    ]);
  });

  it('accepts a UTF-8 byte order mark at the start of the file', async () => {
    const text = `\uFEFF${JSON.stringify({ 'lifeboat.compressionLevel': 2 })}`;
    assert.equal((await readWorkspaceSettings(await folderWith(Buffer.from(text, 'utf8')))).compressionLevel, 2);
    assert.deepEqual(parseJsonc('\uFEFF{"a": 1}'), { a: 1 });
  });
});
