import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lastSnapshotDuration } from '../../../src/core/volume';

describe('lastSnapshotDuration (how long the next snapshot keeps containers stopped)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(join(tmpdir(), 'lb-estimate-'));
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  const manifest = (name: string, body: unknown) =>
    fs.writeFile(join(dir, 'volumes', name), typeof body === 'string' ? body : JSON.stringify(body));

  it('has no history without a volumes folder or a manifest of that volume', async () => {
    assert.equal(await lastSnapshotDuration(dir, 'sms_postgres_data'), undefined);
    await fs.mkdir(join(dir, 'volumes'));
    await manifest('volume_other_20260101_020000.tar.gz.json', { durationMs: 5000 });
    await fs.writeFile(join(dir, 'volumes', 'volume_sms_postgres_data_20260101_020000.tar.gz'), 'no manifest');
    assert.equal(await lastSnapshotDuration(dir, 'sms_postgres_data'), undefined);
  });

  it('reads the newest manifest of the volume, encrypted ones included, skipping one it cannot read', async () => {
    await fs.mkdir(join(dir, 'volumes'));
    await manifest('volume_sms_postgres_data_20260101_020000.tar.gz.json', { durationMs: 4000 });
    await manifest('volume_sms_postgres_data_20260201_020000.tar.gz.age.json', { durationMs: 9000 });
    await manifest('volume_sms_postgres_data_20260301_020000.tar.gz.json', '{ torn');
    // Another volume whose name starts the same is not this one's history.
    await manifest('volume_sms_postgres_data_old_20260401_020000.tar.gz.json', { durationMs: 60000 });
    assert.equal(await lastSnapshotDuration(dir, 'sms_postgres_data'), 9000);
  });
});
