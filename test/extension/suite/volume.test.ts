import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as vscode from 'vscode';
import type { LifeboatApi } from '../../../src/extension/extension';
import { demoPsql, recordingPrompter } from './modals';

const run = promisify(execFile);

async function running(name: string): Promise<boolean> {
  const { stdout } = await run('docker', ['inspect', '-f', '{{.State.Running}}', name]);
  return stdout.trim() === 'true';
}

async function studentCount(): Promise<number> {
  return Number(await demoPsql('SELECT count(*) FROM students'));
}

/** `argv` in a throwaway helper with `volume` at /data; its stdout. */
async function inVolume(volume: string, argv: string[]): Promise<string> {
  return (await run('docker', ['run', '--rm', '--network', 'none', '-v', `${volume}:/data`, 'lifeboat/helper:latest', ...argv])).stdout;
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

  const startedAt = async (name: string) => (await run('docker', ['inspect', '-f', '{{.State.StartedAt}}', name])).stdout.trim();

  it('asks before stopping the database for a snapshot, naming it and how long; declined, nothing stops or is written', async () => {
    const dbStarted = await startedAt('sms-db');
    const { prompter, asked } = recordingPrompter('decline');
    api.setPrompter({ ...prompter, pick: async (items) => items.find((i) => i.label === 'sms_postgres_data')?.value });
    assert.equal(await vscode.commands.executeCommand('lifeboat.snapshotVolume'), undefined);
    assert.equal(api.lastError(), undefined, String(api.lastError()));
    assert.equal(asked.length, 1);
    // No snapshot of this volume in the fresh folder yet: no history to estimate from.
    assert.equal(asked[0].message, 'Stop "sms-db" for a short while to snapshot "sms_postgres_data"?');
    assert.match(asked[0].detail, /the app is unavailable meanwhile/);
    assert.match(asked[0].detail, /Copy Live \(no downtime\): nothing stops, but .* may need crash recovery/);
    assert.deepEqual(asked[0].buttons, ['Not Now', 'Stop and Snapshot', 'Copy Live (no downtime)']);
    assert.equal(await startedAt('sms-db'), dbStarted, 'declining stops nothing');
    const dir = vscode.workspace.getConfiguration('lifeboat').get<string>('backupDirectory')!;
    assert.deepEqual(await fs.readdir(join(dir, 'volumes')).catch(() => []), []);
  });

  it('snapshots sms_postgres_data, then rolls a change back, with the containers running again', async () => {
    const before = await studentCount();
    const stop = recordingPrompter('action');
    api.setPrompter({ ...stop.prompter, pick: async (items) => items.find((i) => i.label === 'sms_postgres_data')?.value });
    const snapshot = await vscode.commands.executeCommand<string>('lifeboat.snapshotVolume');
    assert.equal(api.lastError(), undefined, String(api.lastError()));
    assert.deepEqual(
      stop.asked.map((a) => a.message),
      ['Stop "sms-db" for a short while to snapshot "sms_postgres_data"?'],
    );
    assert.match(snapshot ?? '', /volumes\/volume_sms_postgres_data_\d{8}_\d{6}\.tar\.gz$/);
    assert.equal((await fs.stat(snapshot!)).mode & 0o777, 0o600);
    assert.equal(await running('sms-db'), true);
    await healthy('sms-db');

    await demoPsql('DELETE FROM enrollments; DELETE FROM students WHERE id > 10');
    assert.equal(await studentCount(), 10);

    const { prompter, asked } = recordingPrompter('action', (expected) => expected === 'sms_postgres_data');
    api.setPrompter(prompter);
    const restored = await vscode.commands.executeCommand<string>('lifeboat.restoreVolume', vscode.Uri.file(snapshot!));
    assert.equal(api.lastError(), undefined, String(api.lastError()));
    assert.match(asked[0].text, /^Replace the volume "sms_postgres_data"\?/);
    assert.match(asked[0].text, /current content is then kept aside in the volume until the containers are healthy/);
    assert.equal(restored, 'sms_postgres_data');
    await healthy('sms-db');
    assert.equal(await running('sms-web'), true);
    assert.equal(await studentCount(), before);
  });
  it('estimates the stop from the last snapshot, and Copy Live snapshots without stopping anything', async () => {
    const dbStarted = await startedAt('sms-db');
    const { prompter, asked } = recordingPrompter((a) => a.buttons.find((b) => b.startsWith('Copy Live')));
    api.setPrompter(prompter);
    const snapshot = await vscode.commands.executeCommand<string>('lifeboat.snapshotVolume', 'sms_postgres_data');
    assert.equal(api.lastError(), undefined, String(api.lastError()));
    assert.match(asked[0].message, /^Stop "sms-db" for about \d+ s to snapshot "sms_postgres_data"\?$/);
    assert.match(snapshot ?? '', /volume_sms_postgres_data_\d{8}_\d{6}\.tar\.gz$/);
    const manifest = JSON.parse(await fs.readFile(`${snapshot}.json`, 'utf8'));
    assert.deepEqual(manifest.stoppedContainers, []);
    assert.equal(await startedAt('sms-db'), dbStarted, 'a live copy never stops the database');
  });

  it('offers to re-create a volume that no longer exists, in a modal, and restores into it without stopping anything', async () => {
    const VOL = 'lifeboat_ext_gone';
    const labels = { 'com.docker.compose.project': 'lifeboat-ext-gone', 'com.docker.compose.volume': 'data' };
    const config = vscode.workspace.getConfiguration('lifeboat');
    await run('docker', ['volume', 'rm', '-f', VOL]).catch(() => undefined);
    await run('docker', ['volume', 'create', ...Object.entries(labels).flatMap(([k, v]) => ['--label', `${k}=${v}`]), VOL]);
    try {
      await config.update('volumes.helperImage', 'lifeboat/helper:latest', vscode.ConfigurationTarget.Global);
      await inVolume(VOL, ['sh', '-c', 'echo precious > /data/p.txt']);
      const snapshot = await vscode.commands.executeCommand<string>('lifeboat.snapshotVolume', VOL);
      assert.equal(api.lastError(), undefined, String(api.lastError()));
      await run('docker', ['volume', 'rm', VOL]);
      const dbStarted = (await run('docker', ['inspect', '-f', '{{.State.StartedAt}}', 'sms-db'])).stdout;

      // Declined: nothing is made.
      const declined = recordingPrompter('decline', true);
      api.setPrompter(declined.prompter);
      assert.equal(await vscode.commands.executeCommand('lifeboat.restoreVolume', vscode.Uri.file(snapshot!)), undefined);
      assert.equal(api.lastError(), undefined, String(api.lastError()));
      const [asked] = declined.asked;
      assert.match(asked.text, /^Re-create the volume "lifeboat_ext_gone" and restore it\?/);
      assert.match(asked.text, /Compose labels of volume "data" in project "lifeboat-ext-gone"/);
      assert.match(asked.text, /No safety snapshot is needed: there is nothing to lose/);
      await assert.rejects(run('docker', ['volume', 'inspect', VOL]), 'declining leaves the volume absent');

      const accepted = recordingPrompter('action', true);
      api.setPrompter(accepted.prompter);
      const restored = await vscode.commands.executeCommand<string>('lifeboat.restoreVolume', vscode.Uri.file(snapshot!));
      assert.equal(api.lastError(), undefined, String(api.lastError()));
      assert.equal(restored, VOL);
      assert.deepEqual([...declined.typed, ...accepted.typed], [], 'nothing is replaced, so no typed confirmation');
      const { stdout } = await run('docker', ['volume', 'inspect', '-f', '{{json .Labels}}', VOL]);
      assert.deepEqual(JSON.parse(stdout), labels);
      assert.equal(await inVolume(VOL, ['cat', '/data/p.txt']), 'precious\n');
      assert.equal(
        (await run('docker', ['inspect', '-f', '{{.State.StartedAt}}', 'sms-db'])).stdout,
        dbStarted,
        'the demo stack was not stopped',
      );
    } finally {
      await config.update('volumes.helperImage', undefined, vscode.ConfigurationTarget.Global);
      await run('docker', ['volume', 'rm', '-f', VOL]).catch(() => undefined);
    }
  });
});
