import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { LifeboatApi } from '../../../src/extension/extension';
import { until } from './until';

/** A scheduled database run against the demo stack prunes with lifeboat.retention.database, and only after a good backup. */
describe('scheduled runs clean up after themselves', function () {
  this.timeout(180_000);
  let api: LifeboatApi;
  let dir: string;
  const config = () => vscode.workspace.getConfiguration('lifeboat');
  const set = (key: string, value: unknown) => config().update(key, value, vscode.ConfigurationTarget.Global);
  const old = ['sms_backup_20260901_020000.sql.gz', 'sms_backup_20260902_020000.sql.gz', 'sms_backup_20260903_020000.sql.gz'];
  const listDb = async () => (await fs.readdir(join(dir, 'database'))).filter((n) => n.endsWith('.sql.gz')).sort();

  before(async () => {
    api = await vscode.extensions.getExtension<LifeboatApi>('lifeboat-dev.lifeboat')!.activate();
    dir = await fs.mkdtemp(join(tmpdir(), 'lifeboat-host-schedclean-'));
    await fs.mkdir(join(dir, 'database'), { recursive: true });
    for (const f of old) await fs.writeFile(join(dir, 'database', f), 'an old runbook backup');
    await set('backupDirectory', dir);
    await set('schedule.config', '');
    await set('schedule.volume', '');
    await set('schedule.enabled', true);
    await until('the schedule to start', () => api.schedule.status()?.length === 1);
  });

  after(async () => {
    for (const key of ['schedule.enabled', 'schedule.config', 'schedule.volume', 'database.container', 'backupDirectory'])
      await set(key, undefined);
    await api.schedule.idle();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('a failed run deletes nothing', async () => {
    await set('database.container', 'no-such-db');
    await until('the schedule to reload', () => api.schedule.status()?.length === 1);
    const outcome = await api.schedule.retry('database');
    assert.equal(outcome?.ok, false, JSON.stringify(outcome));
    assert.deepEqual(await listDb(), old);
    await set('database.container', undefined);
    await until('the schedule to reload', () => api.schedule.status()?.length === 1);
  });

  it('a good run backs up, verifies, then deletes the backups older than 30 days', async () => {
    const outcome = await api.schedule.retry('database');
    assert.equal(outcome?.ok, true, JSON.stringify(outcome));
    assert.match(outcome!.summary, /verified \(quick\), cleaned up/);
    const left = await listDb();
    assert.equal(left.length, 1, left.join());
    assert.match(left[0], /^sms_backup_\d{8}_\d{6}\.sql\.gz$/);
    assert.ok(!old.includes(left[0]));
  });
});
