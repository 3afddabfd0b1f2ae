import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readWorkspaceSettings } from '../../../src/cli/workspaceSettings';
import { SettingsError } from '../../../src/core/common';
import { FolderDestination, S3Destination, parseDestination } from '../../../src/core/offsite';

/** The command line's reader: the extension's LifeboatSettings over a settings.json file. */
async function read(settings: Record<string, unknown>) {
  const folder = await fs.mkdtemp(join(tmpdir(), 'lb-offsite-settings-'));
  await fs.mkdir(join(folder, '.vscode'));
  await fs.writeFile(join(folder, '.vscode', 'settings.json'), JSON.stringify(settings));
  return { folder, settings: await readWorkspaceSettings(folder) };
}

describe('lifeboat.offsite.* settings', () => {
  it('defaults: no destination, encryption required, new backups not copied', async () => {
    const { settings } = await read({});
    assert.equal(settings.offsiteDestination, undefined);
    assert.equal(settings.offsiteRequireEncryption, true);
    assert.equal(settings.offsiteCopyNewBackups, false);
  });

  it('a relative folder is taken from the workspace folder; a URL is kept as written', async () => {
    const { folder, settings } = await read({
      'lifeboat.offsite.destination': 'nas/sms',
      'lifeboat.offsite.requireEncryption': false,
      'lifeboat.offsite.copyNewBackups': true,
    });
    assert.equal(settings.offsiteDestination, join(folder, 'nas/sms'));
    assert.ok(parseDestination(settings.offsiteDestination) instanceof FolderDestination);
    assert.equal(settings.offsiteRequireEncryption, false);
    assert.equal(settings.offsiteCopyNewBackups, true);
    const s3 = (await read({ 'lifeboat.offsite.destination': 's3://bucket/sms' })).settings;
    assert.equal(s3.offsiteDestination, 's3://bucket/sms');
    assert.equal(parseDestination(s3.offsiteDestination, { s3: s3.offsiteS3 })?.describe(), 's3://bucket/sms');
  });

  it('lifeboat.offsite.s3.*: empty by default, then what is set reaches the destination', async () => {
    assert.deepEqual((await read({})).settings.offsiteS3, {
      endpoint: undefined,
      region: undefined,
      forcePathStyle: false,
      profile: undefined,
    });
    const { settings } = await read({
      'lifeboat.offsite.destination': 's3://my-backup-bucket/sms/',
      'lifeboat.offsite.s3.endpoint': ' http://nas.local:9000/ ',
      'lifeboat.offsite.s3.region': 'eu-central-1',
      'lifeboat.offsite.s3.forcePathStyle': true,
      'lifeboat.offsite.s3.profile': 'backups',
    });
    assert.deepEqual(settings.offsiteS3, {
      endpoint: 'http://nas.local:9000/',
      region: 'eu-central-1',
      forcePathStyle: true,
      profile: 'backups',
    });
    const d = parseDestination(settings.offsiteDestination, { s3: settings.offsiteS3 }) as S3Destination;
    assert.ok(d instanceof S3Destination);
    assert.deepEqual(d.location, { bucket: 'my-backup-bucket', prefix: 'sms' });
    assert.equal(d.options.endpoint, 'http://nas.local:9000');
    assert.equal(d.options.profile, 'backups');
    assert.equal(d.describe(), 's3://my-backup-bucket/sms at http://nas.local:9000');
    const typo = (await read({ 'lifeboat.offsite.s3.forcePathStyle': 'yes' })).settings;
    assert.throws(
      () => typo.offsiteS3,
      (err: Error) => err instanceof SettingsError && /lifeboat\.offsite\.s3\.forcePathStyle/.test(err.message),
    );
  });

  it('a wrong type is a settings error naming the setting', async () => {
    const { settings } = await read({ 'lifeboat.offsite.requireEncryption': 'yes', 'lifeboat.offsite.destination': 3 });
    assert.throws(
      () => settings.offsiteRequireEncryption,
      (err: Error) =>
        err instanceof SettingsError && /lifeboat\.offsite\.requireEncryption is "yes": it must be true or false/.test(err.message),
    );
    assert.throws(
      () => settings.offsiteDestination,
      (err: Error) => err instanceof SettingsError && /lifeboat\.offsite\.destination is 3/.test(err.message),
    );
  });
});
