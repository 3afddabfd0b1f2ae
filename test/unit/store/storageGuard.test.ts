import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LifeboatError } from '../../../src/core/common';
import { assertRoomForBackup } from '../../../src/core/store';

describe("assertRoomForBackup: the previous backup's size against the free space", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(join(tmpdir(), 'lb-room-'));
    await fs.mkdir(join(dir, 'volumes'));
    await fs.writeFile(join(dir, 'volumes', 'volume_big_20260101_020000.tar.gz'), Buffer.alloc(100_000));
    await fs.writeFile(join(dir, 'volumes', 'volume_small_20260101_020000.tar.gz'), Buffer.alloc(1000));
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });
  const free = (freeBytes: number) => async () => ({ freeBytes, totalBytes: 1e9 });

  it('refuses when the previous backup of the same series would not fit, with a tenth to spare', async () => {
    await assert.rejects(
      assertRoomForBackup(dir, 'volume', 'big', free(100_000)),
      (err: Error) =>
        err instanceof LifeboatError &&
        err.message ===
          `Not enough free space for a new volume backup in ${dir}: 98 KB free, and the previous one ("volume_big_20260101_020000.tar.gz") took 98 KB.` &&
        /See what retention can delete/.test(err.hint ?? '') &&
        err.ui === 'preview-cleanup',
    );
    await assertRoomForBackup(dir, 'volume', 'big', free(111_000));
  });

  it('judges each series by its own previous backup', async () => {
    await assertRoomForBackup(dir, 'volume', 'small', free(2000));
  });

  it('goes ahead when there is nothing to go by: no previous backup, or free space unknown', async () => {
    await assertRoomForBackup(dir, 'database', undefined, free(0));
    await assertRoomForBackup(dir, 'volume', 'big', async () => undefined);
  });
});
