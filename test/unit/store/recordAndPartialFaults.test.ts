import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LifeboatError } from '../../../src/core/common';
import { AtomicFile, acquireLock, stoppedRecord } from '../../../src/core/store';

describe('store: a record or a partial the file system refuses', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(join(tmpdir(), 'lb-store-faults-'));
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('a folder in the way of the stopped-containers record is an error naming the record, and no temporary file is left', async () => {
    const lock = await acquireLock(dir, 'sms', 'database restore');
    try {
      const rec = stoppedRecord(lock, 'database restore');
      // A folder that is not empty: the rename over it fails even for root.
      await fs.mkdir(join(rec.path, 'inside'), { recursive: true });
      await assert.rejects(rec.note(['sms-web']), (err: Error) => {
        assert.ok(err instanceof LifeboatError, String(err));
        assert.match(err.message, /write the record of stopped containers/);
        assert.ok(err.message.includes(rec.path), err.message);
        return true;
      });
      assert.deepEqual((await fs.readdir(dir)).sort(), ['.lifeboat-sms.lock', '.lifeboat-sms.stopped.json']);
      assert.deepEqual(await fs.readdir(rec.path), ['inside']);
    } finally {
      await lock.release();
    }
  });

  it('a partial in a folder that is gone is an error naming the partial, not "already exists"', async () => {
    const file = new AtomicFile(join(dir, 'gone', 'sms_backup_20260101_020000.sql.gz'));
    await assert.rejects(file.open(), (err: Error) => {
      assert.ok(err instanceof LifeboatError, String(err));
      assert.doesNotMatch(err.message, /already exists/);
      assert.ok(err.message.includes(file.partial), err.message);
      assert.match(err.message, /ENOENT/);
      return true;
    });
    await file.discard();
    assert.deepEqual(await fs.readdir(dir), []);
  });
});
