import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import type { Logger } from '../../../src/core/common';
import { DockerUnavailableError } from '../../../src/core/common';
import { containersLeftStopped, startInterruptedStops } from '../../../src/core/stack';
import { acquireLock, interruptedStops } from '../../../src/core/store';
import { startLeftStopped } from '../../../src/core/volume';

// An engine nobody listens on: every request fails as an engine that is gone.
const nowhere = new Docker({ socketPath: '/nonexistent/docker.sock' });
const deadPid = () => spawnSync(process.execPath, ['-e', '0']).pid!;
const log = { info: () => undefined, warn: () => undefined, error: () => undefined, tool: () => undefined } as Logger;

describe('containers left stopped: a record is kept while the engine cannot say whether they run', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(join(tmpdir(), 'lb-left-stopped-'));
  });
  afterEach(() => fs.rm(dir, { recursive: true, force: true }));

  const write = (name: string, rec: object) =>
    fs.writeFile(join(dir, name), JSON.stringify({ pid: deadPid(), host: hostname(), startedAt: '2026-11-27T02:00:00Z', ...rec }));

  it('an engine that does not answer is an error, not a container removed: the record stays', async () => {
    await write('.lifeboat-sms.stopped.json', { operation: 'database restore', stopped: ['sms-web'] });
    await assert.rejects(containersLeftStopped(nowhere, dir), DockerUnavailableError);
    const lock = await acquireLock(dir, 'sms', 'database restore');
    await assert.rejects(startInterruptedStops(nowhere, lock, dir, log), DockerUnavailableError);
    await lock.release();
    assert.equal((await interruptedStops(dir)).length, 1, 'still named for the next run');
  });

  it("the warning's Start on a database restore's record starts it straight away, and keeps the record when that fails", async () => {
    await write('.lifeboat-sms.stopped.json', { operation: 'database restore', stopped: ['sms-web'] });
    const [rec] = await interruptedStops(dir);
    await assert.rejects(startLeftStopped(nowhere, rec, { backupDir: dir, log }), /Could not start "sms-web" again\./);
    assert.deepEqual(
      (await fs.readdir(dir)).filter((f) => f.endsWith('.lock')),
      [],
      'no lock taken',
    );
    assert.equal((await interruptedStops(dir)).length, 1);
  });

  it("the warning's Start on a volume's record takes the volume's lock first: a live holder refuses it, and nothing is started", async () => {
    await write('.lifeboat-volume_v.stopped.json', { operation: 'volume restore', stopped: ['db'], volume: 'v' });
    const [rec] = await interruptedStops(dir);
    const busy = await acquireLock(dir, 'volume_v', 'volume snapshot');
    await assert.rejects(startLeftStopped(nowhere, rec, { backupDir: dir, log }), /snapshotting the volume "v"/);
    await busy.release();
    // Free, it reaches the engine (here none) under the lock, and releases it.
    await assert.rejects(startLeftStopped(nowhere, rec, { backupDir: dir, log }), DockerUnavailableError);
    assert.deepEqual(
      (await fs.readdir(dir)).filter((f) => f.endsWith('.lock')),
      [],
      'the lock is released',
    );
    assert.equal((await interruptedStops(dir)).length, 1);
  });
});
