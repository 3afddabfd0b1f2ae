import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as vscode from 'vscode';
import type { LifeboatApi } from '../../../src/extension/extension';

const run = promisify(execFile);

async function running(name: string): Promise<boolean> {
  const { stdout } = await run('docker', ['inspect', '-f', '{{.State.Running}}', name]);
  return stdout.trim() === 'true';
}

async function studentCount(): Promise<number> {
  const { stdout } = await run('docker', ['exec', 'sms-db', 'psql', '-X', '-At', '-U', 'sms_user', '-d', 'sms_db', '-c', 'SELECT count(*) FROM students']);
  return Number(stdout.trim());
}

async function healthy(name: string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const { stdout } = await run('docker', ['inspect', '-f', '{{if .State.Health}}{{.State.Health.Status}}{{end}}', name]);
    if (stdout.trim() === 'healthy') return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${name} not healthy`);
}

/** Scenario 2 on the demo stack's real database volume, through the commands. */
describe('volume snapshot and rollback in the extension host', function () {
  this.timeout(300_000);
  let api: LifeboatApi;

  before(async () => {
    const ext = vscode.extensions.getExtension<LifeboatApi>('lifeboat-dev.lifeboat');
    assert.ok(ext);
    api = await ext.activate();
    const dir = await fs.mkdtemp(join(tmpdir(), 'lifeboat-host-volume-'));
    await vscode.workspace.getConfiguration('lifeboat').update('backupDirectory', dir, vscode.ConfigurationTarget.Global);
  });

  after(async () => {
    api.setPrompter(undefined);
    await vscode.workspace.getConfiguration('lifeboat').update('backupDirectory', undefined, vscode.ConfigurationTarget.Global);
  });

  it('snapshots sms_postgres_data, then rolls a change back, with the containers running again', async () => {
    const before = await studentCount();
    api.setPrompter({ pick: async (items) => items.find((i) => i.label === 'sms_postgres_data')?.value });
    const snapshot = await vscode.commands.executeCommand<string>('lifeboat.snapshotVolume');
    assert.equal(api.lastError(), undefined, String(api.lastError()));
    assert.match(snapshot ?? '', /volumes\/volume_sms_postgres_data_\d{8}_\d{6}\.tar\.gz$/);
    assert.equal((await fs.stat(snapshot!)).mode & 0o777, 0o600);
    assert.equal(await running('sms-db'), true);
    await healthy('sms-db');

    await run('docker', ['exec', 'sms-db', 'psql', '-X', '-U', 'sms_user', '-d', 'sms_db', '-c', 'DELETE FROM enrollments; DELETE FROM students WHERE id > 10']);
    assert.equal(await studentCount(), 10);

    const asked: string[] = [];
    api.setPrompter({
      confirm: async (message, detail, action) => {
        asked.push(`${message}\n${detail}`);
        return action;
      },
      typeToConfirm: async (_p, expected) => expected === 'sms_postgres_data',
    });
    const safety = await vscode.commands.executeCommand<string>('lifeboat.restoreVolume', vscode.Uri.file(snapshot!));
    assert.equal(api.lastError(), undefined, String(api.lastError()));
    assert.match(asked[0], /^Replace the volume sms_postgres_data\?/);
    assert.match(asked[0], /safety snapshot/);
    assert.match(safety ?? '', /volume_sms_postgres_data_\d{8}_\d{6}\.tar\.gz$/);
    await fs.access(safety!);
    await healthy('sms-db');
    assert.equal(await running('sms-web'), true);
    assert.equal(await studentCount(), before);
  });
});
