import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readWorkspaceSettings } from '../../../src/cli/workspaceSettings';
import { SettingsError } from '../../../src/core/common';
import { SETTING_SCHEMA, checkSetting } from '../../../src/core/settings';
import type { LifeboatSettings } from '../../../src/core/settings';

async function read(settings: Record<string, unknown>): Promise<LifeboatSettings> {
  const folder = await fs.mkdtemp(join(tmpdir(), 'lb-settings-'));
  await fs.mkdir(join(folder, '.vscode'));
  await fs.writeFile(join(folder, '.vscode', 'settings.json'), JSON.stringify(settings));
  return readWorkspaceSettings(folder);
}

/** The getter fails with a SettingsError whose message names the setting, the value and what is allowed. */
function refuses(get: () => unknown, setting: string, value: string, allowed: RegExp): void {
  assert.throws(get, (err: Error) => {
    assert.ok(err instanceof SettingsError, `${err.name}: ${err.message}`);
    assert.ok(err.message.includes(`lifeboat.${setting}`), err.message);
    assert.ok(err.message.includes(value), err.message);
    assert.match(err.message, allowed);
    assert.ok((err as SettingsError).hint);
    return true;
  });
}

describe('settings are checked against their package.json schema', () => {
  it('a number where a string belongs is a settings error, not a TypeError', async () => {
    const s = await read({ 'lifeboat.backupDirectory': 5, 'lifeboat.database.container': ['sms-db'] });
    refuses(() => s.backupDirectory, 'backupDirectory', '5', /a string/);
    refuses(() => s.discovery, 'database.container', '["sms-db"]', /a string/);
  });

  it('numbers must be whole numbers in range, never NaN or clamped', async () => {
    const s = await read({ 'lifeboat.compressionLevel': 'abc', 'lifeboat.health.maxAgeHours': 'abc', 'lifeboat.storage.minFreeMB': -5 });
    refuses(() => s.compressionLevel, 'compressionLevel', '"abc"', /a whole number from 1 to 9/);
    refuses(() => s.maxAgeHours, 'health.maxAgeHours', '"abc"', /a whole number of 1 or more/);
    refuses(() => s.minFreeBytes, 'storage.minFreeMB', '-5', /a whole number of 0 or more/);
    const high = await read({ 'lifeboat.compressionLevel': 12 });
    refuses(() => high.compressionLevel, 'compressionLevel', '12', /a whole number from 1 to 9/);
  });

  it('lists must be lists of the right items', async () => {
    const s = await read({
      'lifeboat.config.paths': 'docker-compose.yml',
      'lifeboat.app.services': ['web', 3],
      'lifeboat.app.migrationCommand': 'alembic upgrade head',
    });
    refuses(() => s.configPaths, 'config.paths', '"docker-compose.yml"', /a list of strings/);
    refuses(() => s.appServices, 'app.services', '3', /item 2/);
    refuses(() => s.migration, 'app.migrationCommand', '"alembic upgrade head"', /a list of strings.*or null/);
  });

  it('choices, objects and retention rules', async () => {
    const s = await read({
      'lifeboat.verify.onCreate': 'fast',
      'lifeboat.app.healthUrl': 'http://127.0.0.1/health',
      'lifeboat.app.healthExpect': 'healthy',
      'lifeboat.retention.database': { keepLast: -1 },
      'lifeboat.schedule.enabled': 'yes',
    });
    refuses(() => s.verifyOnCreate, 'verify.onCreate', '"fast"', /one of "quick", "full", "off"/);
    refuses(() => s.health, 'app.healthExpect', '"healthy"', /an object/);
    refuses(() => s.retention, 'retention.database', '"keepLast":-1', /"keepLast" must be a whole number of 0 or more/);
    const unknownRule = await read({ 'lifeboat.retention.config': { keepYearly: 2 } });
    refuses(
      () => unknownRule.retention,
      'retention.config',
      '"keepYearly":2',
      /"keepYearly" is not one of its fields \(maxAgeDays, keepLast/,
    );
    refuses(() => s.schedule, 'schedule.enabled', '"yes"', /true or false/);
  });

  it('a backup prefix must already be a file name part, so two prefixes never share a series', async () => {
    const s = await read({ 'lifeboat.backupPrefix': 'my app' });
    refuses(() => s.backupPrefix, 'backupPrefix', '"my app"', /letters, digits/);
    assert.equal((await read({ 'lifeboat.backupPrefix': 'my-app' })).backupPrefix, 'my-app');
  });

  it('the schedule time zone: UTC, local, or a valid IANA zone', async () => {
    assert.equal((await read({ 'lifeboat.schedule.timezone': 'Europe/Berlin' })).schedule.zone, 'Europe/Berlin');
    assert.equal((await read({ 'lifeboat.schedule.timezone': 'local' })).schedule.zone, 'local');
    assert.equal((await read({})).schedule.zone, 'UTC');
    const bad = await read({ 'lifeboat.schedule.timezone': 'Mars/Olympus_Mons' });
    refuses(
      () => bad.schedule,
      'schedule.timezone',
      '"Mars/Olympus_Mons"',
      /"UTC", "local" or an IANA time zone name such as "Europe\/Berlin"/,
    );
  });

  it('valid values, and every default, pass', async () => {
    const s = await read({
      'lifeboat.compressionLevel': 9,
      'lifeboat.config.paths': ['compose.yaml'],
      'lifeboat.app.migrationCommand': null,
      'lifeboat.retention.database': { keepLast: 10 },
      'lifeboat.schedule.database': '@daily',
    });
    assert.equal(s.compressionLevel, 9);
    assert.deepEqual(s.configPaths, ['compose.yaml']);
    assert.equal(s.migration, 'auto');
    assert.equal(s.schedule.crons.database, '@daily');
    for (const [key, spec] of Object.entries(SETTING_SCHEMA)) checkSetting(key.slice('lifeboat.'.length), spec.default ?? null);
  });

  it('covers every setting in package.json: a value of the wrong type is refused for each', () => {
    const keys = Object.keys(SETTING_SCHEMA);
    assert.ok(keys.length >= 30, `${keys.length} settings in the embedded schema`);
    for (const [key, spec] of Object.entries(SETTING_SCHEMA)) {
      const wrong = spec.type === 'string' ? 42 : 'text';
      assert.throws(() => checkSetting(key.slice('lifeboat.'.length), wrong), SettingsError, key);
    }
  });
});
