import * as assert from 'node:assert/strict';
import { SettingsError } from '../../../src/core/common';
import { databaseBackupName, parseBackupName, partialName, safeSegment, timestamp } from '../../../src/core/store';

describe('naming', () => {
  it('formats UTC timestamps like the runbook', () => {
    assert.equal(timestamp(new Date('2026-01-30T02:00:09Z')), '20260130_020009');
    assert.equal(databaseBackupName('sms', new Date('2026-01-30T23:59:59.999Z')), 'sms_backup_20260130_235959.sql.gz');
  });

  it("parses the runbook's and Lifeboat's names", () => {
    const db = parseBackupName('sms_backup_20260130_020000.sql.gz');
    assert.equal(db?.kind, 'database');
    assert.equal(db?.subject, 'sms');
    assert.equal(db?.time.toISOString(), '2026-01-30T02:00:00.000Z');
    assert.equal(parseBackupName('config_20260125.tar.gz')?.kind, 'config');
    assert.equal(parseBackupName('config_20260125_010000.tar.gz.age')?.encryption, 'age');
    const vol = parseBackupName('volume_sms_postgres_data_20260129_030000.tar.gz.enc');
    assert.equal(vol?.kind, 'volume');
    assert.equal(vol?.subject, 'sms_postgres_data');
    assert.equal(vol?.encryption, 'openssl');
    assert.equal(parseBackupName('my_app_backup_20260130_020000.sql.gz')?.subject, 'my_app');
    assert.equal(parseBackupName('sms_backup_20260130_020000.dump')?.kind, 'database');
  });

  it('refuses names that are not ours, impossible dates and partial files', () => {
    for (const name of [
      'notes.txt',
      'sms_backup_20260230_020000.sql.gz',
      'sms_backup_20260130_250000.sql.gz',
      'sms_backup_20260130_020000.sql',
      partialName('sms_backup_20260130_020000.sql.gz'),
      'sms_backup_20260130_020000.sql.gz.json',
      'volume__20260130_020000.tar.gz',
    ]) {
      assert.equal(parseBackupName(name), undefined, name);
    }
  });

  it('keeps prefixes to a portable alphabet', () => {
    assert.equal(safeSegment('../etc/passwd'), 'etc-passwd');
    assert.equal(safeSegment('my app'), 'my-app');
    assert.equal(safeSegment(''), 'db');
  });

  it("gives distinct prefixes distinct names, refusing one that would share another's series", () => {
    const at = new Date('2026-01-30T02:00:00Z');
    assert.equal(databaseBackupName('my-app', at), 'my-app_backup_20260130_020000.sql.gz');
    assert.equal(databaseBackupName('My.App_2', at), 'My.App_2_backup_20260130_020000.sql.gz');
    for (const prefix of ['my app', 'my/app', '.my-app', '-x', 'ünïcode']) {
      assert.throws(
        () => databaseBackupName(prefix, at),
        (err: Error) => {
          assert.ok(err instanceof SettingsError, prefix);
          assert.ok(err.message.includes(JSON.stringify(prefix)), err.message);
          assert.match(err.message, /letters, digits/);
          assert.match((err as SettingsError).hint ?? '', /lifeboat\.backupPrefix/);
          return true;
        },
        prefix,
      );
    }
    // The hint names the prefix that continues the series the old, lossy mapping wrote.
    assert.throws(
      () => databaseBackupName('my app', at),
      (err: SettingsError) => /"my-app"/.test(err.hint ?? ''),
    );
  });
});
