import * as assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as vscode from 'vscode';
import type { LifeboatApi } from '../../../src/extension/extension';
import { demoPsql, recordingPrompter } from './modals';
import { until } from './until';

const run = promisify(execFile);
const running = async (name: string) => (await run('docker', ['inspect', '-f', '{{.State.Running}}', name])).stdout.trim() === 'true';

/** What an interrupted operation leaves for the next start of VS Code, on the demo stack. */
describe('leftovers of interrupted operations in the extension host', function () {
  this.timeout(120_000);
  let api: LifeboatApi;
  let dir: string;

  before(async () => {
    const ext = vscode.extensions.getExtension<LifeboatApi>('lifeboat-dev.lifeboat');
    assert.ok(ext);
    api = await ext.activate();
    dir = await fs.mkdtemp(join(tmpdir(), 'lifeboat-host-interrupted-'));
    await vscode.workspace.getConfiguration('lifeboat').update('backupDirectory', dir, vscode.ConfigurationTarget.Global);
  });

  after(async () => {
    api.setPrompter(undefined);
    await run('docker', ['start', 'sms-web']).catch(() => undefined);
    await vscode.workspace.getConfiguration('lifeboat').update('backupDirectory', undefined, vscode.ConfigurationTarget.Global);
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('names "sms-web" left stopped by a killed restore, with Start, which starts it and forgets the record', async () => {
    // What a restore killed with the app down leaves: its record, naming a process that is gone.
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    const record = join(dir, '.lifeboat-sms.stopped.json');
    await fs.writeFile(
      record,
      JSON.stringify({
        pid: dead,
        host: hostname(),
        operation: 'database restore',
        startedAt: '2026-11-27T19:46:31Z',
        stopped: ['sms-web'],
      }),
    );
    await run('docker', ['stop', 'sms-web']);
    const warned: string[] = [];
    api.setPrompter({
      warn: async (text, action) => {
        warned.push(`${text} [${action}]`);
        return action;
      },
    });
    assert.equal(await api.checkLeftStopped(), 1);
    assert.deepEqual(warned, [
      '"sms-web" was stopped by an interrupted database restore (process ' +
        `${dead}, started 2026-11-27 19:46 UTC) and is still stopped. Start it with "docker start sms-web". [Start]`,
    ]);
    await until('sms-web running again', () => running('sms-web'));
    await until('the record removed', async () => !(await fs.stat(record).catch(() => undefined)));
    assert.equal(await api.checkLeftStopped(), 0, 'nothing more to say');
  });

  it('a scratch database seen while a restore holds the lock is not offered as a leftover to drop', async () => {
    const scratch = 'sms_db_restore_20260101_000002';
    await demoPsql(`CREATE DATABASE ${scratch}`, 'postgres');
    // A lock held by a live process (this one), as a running dry run holds it.
    const lock = join(dir, '.lifeboat-sms.lock');
    await fs.writeFile(
      lock,
      JSON.stringify({ pid: process.pid, host: hostname(), operation: 'database restore', startedAt: new Date().toISOString() }),
    );
    const notice = async () => {
      const group = (await api.tree.getChildren()).find((r) => api.tree.getTreeItem(r).id === 'group.sidedb');
      assert.ok(group, 'the Database copies group is shown');
      return api.tree.getTreeItem((await api.tree.getChildren(group))[0]);
    };
    try {
      const busy = await notice();
      assert.equal(busy.label, '1 scratch database: a restore or verify is running');
      assert.equal(busy.command, undefined, 'no Drop action while a run may own it');
      await fs.rm(lock);
      const idle = await notice();
      assert.equal(idle.label, '1 scratch database left by interrupted dry runs: Drop…');
      assert.equal(idle.command?.command, 'lifeboat.dropScratchDatabases');
    } finally {
      await fs.rm(lock, { force: true });
      await demoPsql(`DROP DATABASE IF EXISTS ${scratch} WITH (FORCE)`, 'postgres');
    }
  });

  it('drops the scratch databases of interrupted dry runs after one modal naming them, and nothing else', async () => {
    const scratch = 'sms_db_restore_20260101_000000';
    const kept = 'sms_db_pre_restore_20260101_000001';
    for (const d of [scratch, kept]) await demoPsql(`CREATE DATABASE ${d}`, 'postgres');
    try {
      const students = await demoPsql('SELECT count(*) FROM students');
      const { prompter, asked } = recordingPrompter('action');
      api.setPrompter(prompter);
      const dropped = await vscode.commands.executeCommand<string[]>('lifeboat.dropScratchDatabases');
      assert.equal(api.lastError(), undefined, String(api.lastError()));
      assert.deepEqual(dropped, [scratch]);
      assert.equal(asked.length, 1);
      assert.equal(asked[0].message, `Drop 1 scratch database: "${scratch}"?`);
      assert.match(asked[0].detail, /copies only\. The live database "sms_db" and any pre-restore copy are not touched\./);
      assert.deepEqual(asked[0].buttons, ['Keep Them', 'Drop']);
      const left = (await demoPsql('SELECT datname FROM pg_database ORDER BY 1', 'postgres')).split('\n');
      assert.ok(left.includes('sms_db') && left.includes(kept), left.join(', '));
      assert.ok(!left.includes(scratch), left.join(', '));
      assert.equal(await demoPsql('SELECT count(*) FROM students'), students);
    } finally {
      for (const d of [scratch, kept]) await demoPsql(`DROP DATABASE IF EXISTS ${d} WITH (FORCE)`, 'postgres');
    }
  });
});
