import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RUNBOOK_RETENTION } from '../../../src/core/retention';
import { DEFAULT_SCHEDULES } from '../../../src/core/schedule';
import { LifeboatSettings, SettingsSource } from '../../../src/core/settings';

/** A source that knows only the values given: no package.json defaults behind it. */
function source(values: Record<string, unknown>): SettingsSource {
  return { get: <T>(key: string) => values[key] as T | undefined };
}

describe('LifeboatSettings: what each setting means once read', () => {
  it("a source without defaults gives the runbook's values, not undefined or NaN", async () => {
    const s = new LifeboatSettings(source({}), '/work/shop');
    assert.equal(s.dockerHost, undefined);
    assert.equal(s.backupDirectory, '/work/shop/backups');
    assert.deepEqual(s.encryptionKeyFiles, { keyFile: undefined, identityFile: undefined });
    assert.equal(s.backupPrefix, '');
    assert.equal(s.compressionLevel, 6);
    assert.equal(s.appServices, undefined);
    assert.equal(s.migration, 'auto');
    assert.equal(s.health, undefined);
    assert.equal(s.configPaths, undefined);
    assert.equal(s.helperImage, undefined);
    assert.equal(s.keepSafetySnapshot, false);
    assert.equal(s.volumeStopMode, 'stop');
    assert.equal(s.maxAgeHours, 24);
    assert.equal(s.verifyOnCreate, 'quick');
    assert.equal(s.minFreeBytes, 1024 * 1024 * 1024);
    assert.deepEqual(s.retention, RUNBOOK_RETENTION);
    assert.deepEqual(s.schedule, { enabled: false, crons: { ...DEFAULT_SCHEDULES }, zone: 'UTC' });
    assert.deepEqual(s.discovery, {
      folder: '/work/shop',
      composeProject: undefined,
      dbContainer: undefined,
      database: undefined,
      user: undefined,
    });
  });

  it('set values are trimmed and resolved: paths against the folder or home, lists and choices as given', () => {
    const s = new LifeboatSettings(
      source({
        'docker.host': ' ssh://me@nas ',
        backupDirectory: '~/lifeboat',
        'encryption.keyFile': 'keys/backup.key',
        'encryption.identityFile': '/etc/lifeboat/id.txt',
        'app.services': ['sms-web'],
        'app.migrationCommand': [],
        'app.healthUrl': ' http://127.0.0.1:8000/health ',
        'app.healthExpect': { status: 'healthy' },
        'app.healthTimeoutSeconds': 5,
        'config.paths': [],
        'volumes.helperImage': 'alpine:3',
        'volumes.keepSafetySnapshot': true,
        'volumes.snapshotMode': 'live',
        'verify.onCreate': 'full',
        'storage.minFreeMB': 0,
        'schedule.enabled': true,
        'schedule.database': '  ',
        'schedule.timezone': 'utc',
        composeProject: 'shop',
        'database.container': 'shop-db',
        'database.name': 'orders',
        'database.user': 'clerk',
      }),
      '/work/shop',
    );
    assert.equal(s.dockerHost, 'ssh://me@nas');
    assert.equal(s.backupDirectory, join(process.env.HOME ?? '', 'lifeboat'));
    assert.deepEqual(s.encryptionKeyFiles, { keyFile: '/work/shop/keys/backup.key', identityFile: '/etc/lifeboat/id.txt' });
    assert.deepEqual(s.appServices, ['sms-web']);
    assert.equal(s.migration, 'none', 'an empty command means: run no migration');
    assert.deepEqual(s.health, { url: 'http://127.0.0.1:8000/health', expect: { status: 'healthy' }, timeoutMs: 5000 });
    assert.equal(s.configPaths, undefined, "an empty list means the runbook's paths");
    assert.equal(s.helperImage, 'alpine:3');
    assert.equal(s.keepSafetySnapshot, true);
    assert.equal(s.volumeStopMode, 'live');
    assert.equal(s.verifyOnCreate, 'full');
    assert.equal(s.minFreeBytes, 0);
    assert.deepEqual(s.schedule.crons, { database: '', config: DEFAULT_SCHEDULES.config, volume: DEFAULT_SCHEDULES.volume });
    assert.equal(s.schedule.enabled, true);
    assert.equal(s.schedule.zone, 'UTC', 'the zone is spelled as Intl spells it');
    assert.deepEqual(s.discovery, {
      folder: '/work/shop',
      composeProject: 'shop',
      dbContainer: 'shop-db',
      database: 'orders',
      user: 'clerk',
    });
  });

  it('a health URL with an empty expectation checks only that it answers; verify can be turned off', () => {
    const s = new LifeboatSettings(
      source({ 'app.healthUrl': 'http://web/health', 'app.healthExpect': {}, 'verify.onCreate': 'off' }),
      undefined,
    );
    assert.deepEqual(s.health, { url: 'http://web/health', expect: undefined, timeoutMs: 60_000 });
    assert.equal(s.verifyOnCreate, 'off');
    const unset = new LifeboatSettings(
      source({ 'app.healthUrl': 'http://web/health', 'app.migrationCommand': ['flask', 'db', 'upgrade'] }),
      undefined,
    );
    assert.deepEqual(unset.health, { url: 'http://web/health', expect: undefined, timeoutMs: 60_000 });
    assert.deepEqual(unset.migration, ['flask', 'db', 'upgrade']);
  });

  it('without a workspace folder, relative paths are taken from the current directory', () => {
    const s = new LifeboatSettings(source({ backupDirectory: 'bk' }), undefined);
    assert.equal(s.backupDirectory, join(process.cwd(), 'bk'));
    assert.equal(new LifeboatSettings(source({ backupDirectory: '/srv/bk' }), undefined).backupDirectory, '/srv/bk');
  });

  it('a retention rule is copied, so changing the result never changes the setting', () => {
    const rule = { keepLast: 3 };
    const s = new LifeboatSettings(source({ 'retention.volume': rule }), undefined);
    const r = s.retention;
    assert.deepEqual(r.volume, { keepLast: 3 });
    r.volume.keepLast = 99;
    assert.equal(rule.keepLast, 3);
    assert.deepEqual(r.database, RUNBOOK_RETENTION.database);
  });

  it("the project name: the setting, else the folder's Compose name, else none", async () => {
    assert.equal(await new LifeboatSettings(source({ composeProject: 'shop' }), '/x/y').projectName(), 'shop');
    assert.equal(await new LifeboatSettings(source({}), undefined).projectName(), undefined);
    const folder = await fs.mkdtemp(join(tmpdir(), 'lb-Proj.Name-'));
    try {
      assert.equal(
        await new LifeboatSettings(source({}), folder).projectName(),
        folder
          .split('/')
          .pop()!
          .toLowerCase()
          .replace(/[^a-z0-9_-]/g, ''),
      );
      await fs.writeFile(join(folder, '.env'), 'COMPOSE_PROJECT_NAME="stack1"\n');
      assert.equal(await new LifeboatSettings(source({}), folder).projectName(), 'stack1');
    } finally {
      await fs.rm(folder, { recursive: true, force: true });
    }
  });

  it('encryption format and recipients, and off-site retention, as the command line reads them', () => {
    const s = new LifeboatSettings(
      source({
        'encryption.format': 'openssl',
        'encryption.recipients': ['age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq'],
        'offsite.retention.database': { keepLast: 5 },
      }),
      '/work/shop',
    );
    assert.equal(s.encryptionFormat, 'openssl');
    assert.deepEqual(s.encryptionRecipients, ['age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq']);
    assert.deepEqual(s.offsiteRetention, { database: { keepLast: 5 }, config: {}, volume: {} });
    const none = new LifeboatSettings(source({}), '/work/shop');
    assert.equal(none.encryptionFormat, 'age');
    assert.deepEqual(none.encryptionRecipients, []);
    assert.deepEqual(none.offsiteRetention, { database: {}, config: {}, volume: {} });
  });

  it('the SFTP key file is resolved like the other paths; unset leaves ssh its own defaults', () => {
    const set = new LifeboatSettings(source({ 'offsite.sftp.identityFile': ' keys/nas_ed25519 ' }), '/work/shop');
    assert.equal(set.offsiteSftpIdentityFile, '/work/shop/keys/nas_ed25519');
    const absolute = new LifeboatSettings(source({ 'offsite.sftp.identityFile': '/etc/lifeboat/id' }), '/work/shop');
    assert.equal(absolute.offsiteSftpIdentityFile, '/etc/lifeboat/id');
    assert.equal(new LifeboatSettings(source({}), '/work/shop').offsiteSftpIdentityFile, undefined);
  });
});
