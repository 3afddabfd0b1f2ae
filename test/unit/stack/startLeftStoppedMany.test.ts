import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import type { Logger } from '../../../src/core/common';
import { startInterruptedStop } from '../../../src/core/stack';

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

  it('a record of two stopped containers says "them" (the last stopped first), and stays when they could not be started', async () => {
    const path = join(dir, '.lifeboat-sms.stopped.json');
    const rec = {
      pid: deadPid(),
      host: hostname(),
      operation: 'volume restore',
      startedAt: '2026-11-27T03:00:00.000Z',
      stopped: ['a', 'b'],
    };
    await fs.writeFile(path, JSON.stringify(rec));
    await assert.rejects(startInterruptedStop(nowhere, { ...rec, path }, log), /^LifeboatError: Could not start "b" and "a" again\.$/);
    assert.match(
      lines[0],
      /^warn: Starting b, a again: stopped by an interrupted volume restore \(process \d+, .*\) that never got to start them\.$/,
    );
    assert.deepEqual(JSON.parse(await fs.readFile(path, 'utf8')), rec, 'the record is kept for the next run to try again');
  });
});
