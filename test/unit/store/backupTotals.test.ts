import * as assert from 'node:assert/strict';
import { describeFailed, failedBackups } from '../../../src/core/store';
import type { BackupEntry } from '../../../src/core/store';

const at = new Date('2026-01-05T02:00:00Z');
function entry(
  fileName: string,
  kind: BackupEntry['kind'],
  subject: string | undefined,
  state: BackupEntry['state'],
  createdAt = at,
): BackupEntry {
  return { path: `/b/${fileName}`, fileName, kind, subject, createdAt, bytes: 1, mtime: createdAt, state };
}

describe('failed backups across series', () => {
  it('counts each series whose newest backup failed, and names them', () => {
    const f = failedBackups([
      entry('volume_a_20260105_020000.tar.gz', 'volume', 'a', 'failed'),
      entry('volume_b_20260105_020000.tar.gz', 'volume', 'b', 'failed'),
      entry('volume_b_20260101_020000.tar.gz', 'volume', 'b', 'verified', new Date('2026-01-01T02:00:00Z')),
    ]);
    assert.deepEqual(describeFailed(f), {
      newest: 'the newest backup of 2 series failed verification: volume_a_20260105_020000.tar.gz, volume_b_20260105_020000.tar.gz',
      all: '2 backups failed verification (2 volume)',
    });
  });

  it('two backups of one series made in the same second: the first by name counts as the newest, whatever the listing order', () => {
    const early = entry('sms_backup_20260105_020000.sql.gz', 'database', 'sms', 'verified');
    const late = entry('sms_backup_20260105_020000.sql.gz.age', 'database', 'sms', 'failed');
    for (const order of [
      [early, late],
      [late, early],
    ]) {
      assert.deepEqual(failedBackups(order).newestOfSeries, [], 'the plain file is the newest, and it verified');
    }
  });
});
