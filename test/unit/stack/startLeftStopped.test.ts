import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import type { Logger } from '../../../src/core/common';
import { startLeftStopped } from '../../../src/core/stack';
import { acquireLock } from '../../../src/core/store';

// An engine nobody listens on: starting anything would fail with ENOENT.
const nowhere = new Docker({ socketPath: '/nonexistent/docker.sock' });
const deadPid = () => spawnSync(process.execPath, ['-e', '0']).pid!;

describe('startLeftStopped: what a lock taken over from a killed run starts again', () => {
  let dir: string;
  const warnings: string[] = [];
  const log = { info: () => undefined, warn: (m: string) => warnings.push(m), error: () => undefined } as unknown as Logger;
  beforeEach(async () => {
    dir = await fs.mkdtemp(join(tmpdir(), 'lb-left-stopped-'));
    warnings.length = 0;
  });
  afterEach(() => fs.rm(dir, { recursive: true, force: true }));

  it('a lock nobody held before starts nothing and says nothing', async () => {
    const lock = await acquireLock(dir, 'sms', 'database backup');
    assert.equal(lock.previous, undefined);
    assert.deepEqual(await startLeftStopped(nowhere, lock, log), []);
    assert.deepEqual(warnings, []);
    await lock.release();
  });

  for (const [what, stopped] of [
    ['recorded no stopped containers', undefined],
    ['recorded an empty list', []],
  ] as const) {
    it(`a killed run that ${what} leaves nothing to start`, async () => {
      const owner = { pid: deadPid(), host: hostname(), operation: 'database backup', startedAt: '2026-11-27T02:00:00.000Z', stopped };
      await fs.writeFile(join(dir, '.lifeboat-sms.lock'), JSON.stringify(owner));
      const lock = await acquireLock(dir, 'sms', 'volume snapshot');
      assert.equal(lock.previous?.pid, owner.pid, 'the stale lock was taken over');
      assert.deepEqual(await startLeftStopped(nowhere, lock, log), []);
      assert.deepEqual(warnings, []);
      await lock.release();
    });
  }
});
