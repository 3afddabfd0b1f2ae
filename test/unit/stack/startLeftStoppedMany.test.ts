import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { LifeboatError } from '../../../src/core/common';
import type { Logger } from '../../../src/core/common';
import { startInterruptedStop, startLeftStopped } from '../../../src/core/stack';
import { acquireLock } from '../../../src/core/store';

// An engine nobody listens on: the start itself fails, which is what lets the record be checked afterwards.
const nowhere = new Docker({ socketPath: '/nonexistent/docker.sock' });
const deadPid = () => spawnSync(process.execPath, ['-e', '0']).pid!;

describe('starting several containers an interrupted run left stopped', () => {
  let dir: string;
  const lines: string[] = [];
  const log = {
    info: (m: string) => lines.push(`info: ${m}`),
    warn: (m: string) => lines.push(`warn: ${m}`),
    error: (m: string) => lines.push(`error: ${m}`),
  } as unknown as Logger;
  beforeEach(async () => {
    dir = await fs.mkdtemp(join(tmpdir(), 'lb-left-stopped-many-'));
    lines.length = 0;
  });
  afterEach(() => fs.rm(dir, { recursive: true, force: true }));

  it('a taken-over lock names both containers as "them", and an engine that cannot start them is an error naming both', async () => {
    const owner = {
      pid: deadPid(),
      host: hostname(),
      operation: 'database restore',
      startedAt: '2026-11-27T02:00:00.000Z',
      stopped: ['sms-web', 'sms-worker'],
    };
    await fs.writeFile(join(dir, '.lifeboat-sms.lock'), JSON.stringify(owner));
    const lock = await acquireLock(dir, 'sms', 'database backup');
    try {
      await assert.rejects(startLeftStopped(nowhere, lock, log), (err: Error) => {
        assert.ok(err instanceof LifeboatError);
        assert.equal(err.message, 'Could not start "sms-web" and "sms-worker" again.');
        assert.equal(err.hint, 'Start them with docker compose start, and see the Lifeboat log.');
        return true;
      });
    } finally {
      await lock.release();
    }
    assert.equal(
      lines[0],
      `warn: Starting sms-web, sms-worker again: stopped by an interrupted database restore (process ${owner.pid}, started 2026-11-27T02:00:00.000Z) that never got to start them.`,
    );
    assert.equal(lines.filter((l) => l.startsWith('error: Could not start')).length, 2);
  });

  it('a record of two stopped containers says "them", and stays when they could not be started', async () => {
    const path = join(dir, '.lifeboat-sms.stopped.json');
    const rec = {
      pid: deadPid(),
      host: hostname(),
      operation: 'volume restore',
      startedAt: '2026-11-27T03:00:00.000Z',
      stopped: ['a', 'b'],
    };
    await fs.writeFile(path, JSON.stringify(rec));
    await assert.rejects(startInterruptedStop(nowhere, { ...rec, path }, log), /^LifeboatError: Could not start "a" and "b" again\.$/);
    assert.match(
      lines[0],
      /^warn: Starting a, b again: stopped by an interrupted volume restore \(process \d+, .*\) that never got to start them\.$/,
    );
    assert.deepEqual(JSON.parse(await fs.readFile(path, 'utf8')), rec, 'the record is kept for the next run to try again');
  });
});
