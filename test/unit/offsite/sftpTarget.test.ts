import * as assert from 'node:assert/strict';
import { SettingsError } from '../../../src/core/common';
import { parseSftpUrl, sftpAddress } from '../../../src/core/offsite';

describe('parseSftpUrl: sftp://user@host[:port]/absolute/path', () => {
  it('reads user, host, port and folder; the user and port default as ssh does', () => {
    assert.deepEqual(parseSftpUrl('sftp://backup@nas.local:2222/srv/backups/sms/', 'me'), {
      user: 'backup',
      host: 'nas.local',
      port: 2222,
      root: '/srv/backups/sms',
    });
    assert.deepEqual(parseSftpUrl('sftp://nas/srv/b', 'me'), { user: 'me', host: 'nas', port: 22, root: '/srv/b' });
    assert.deepEqual(parseSftpUrl('sftp://u@[::1]:2200/b%20c', 'me'), { user: 'u', host: '::1', port: 2200, root: '/b c' });
  });

  it('says the address back without defaults it did not need', () => {
    assert.equal(sftpAddress(parseSftpUrl('sftp://u@nas:22/srv/b', 'me')), 'sftp://u@nas/srv/b');
    assert.equal(sftpAddress(parseSftpUrl('sftp://u@[::1]:2200/b', 'me')), 'sftp://u@[::1]:2200/b');
  });

  it('refuses a password (it would sit in settings.json), a missing folder and a path that climbs out', () => {
    assert.throws(
      () => parseSftpUrl('sftp://u:secret@nas/srv/b', 'me'),
      (err: Error) => err instanceof SettingsError && /password/.test(err.message) && !err.message.includes('secret'),
    );
    assert.throws(() => parseSftpUrl('sftp://u@nas', 'me'), /needs a host and an absolute folder path/);
    assert.throws(() => parseSftpUrl('sftp://u@nas/', 'me'), /needs a host and an absolute folder path/);
    assert.throws(() => parseSftpUrl('sftp://u@nas/srv/a%2F..%2F..%2Fetc', 'me'), /needs a host and an absolute folder path/);
    assert.throws(() => parseSftpUrl('sftp://u@nas:99999/srv', 'me'), /not a valid sftp:\/\/ address/);
  });
});
