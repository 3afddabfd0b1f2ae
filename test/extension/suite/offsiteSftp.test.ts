import * as assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import * as vscode from 'vscode';
import { MANIFEST_VERSION, writeManifest } from '../../../src/core/store';
import type { LifeboatApi } from '../../../src/extension/extension';
import type { Prompter } from '../../../src/extension/ui/prompter';
import { SftpServer, startSftpServer } from '../../integration/sftpServer';
import { keygen } from '../../integration/sshServer';

const EXTENSION_ID = 'lifeboat-dev.lifeboat';
const NAME = 'sms_backup_20260105_020000.sql.gz';

/**
 * "Lifeboat: Copy Off-site" to an SFTP server (Debian's sshd on 127.0.0.1) in a real VS Code:
 * the unknown host key's modal (its fingerprint shown, Cancel the default), trust that appends
 * it to known_hosts, and a changed key refused without being offered. Only the modal's answer is
 * scripted (the API's prompter).
 */
describe('Copy Off-site to SFTP in the extension host', function () {
  this.timeout(180_000);
  let api: LifeboatApi;
  let server: SftpServer;
  let backup: string;
  const saved = { HOME: process.env.HOME, SSH_AUTH_SOCK: process.env.SSH_AUTH_SOCK };
  const setSetting = (key: string, value: unknown) =>
    vscode.workspace.getConfiguration('lifeboat').update(key, value, vscode.ConfigurationTarget.Global);
  const knownHosts = () => join(server.home, '.ssh', 'known_hosts');
  const remoteCopy = () => join(server.remote, 'database', NAME);

  /** Answers the host-key modal with `answer` and records what it showed. */
  function answering(answer: string | undefined, seen: { message: string; detail: string; action: string; safe: string }[]) {
    const prompter: Partial<Prompter> = {
      confirm: async (message, detail, action, safe) => (seen.push({ message, detail, action, safe }), answer),
    };
    api.setPrompter(prompter);
  }

  before(async () => {
    const ext = vscode.extensions.getExtension<LifeboatApi>(EXTENSION_ID);
    assert.ok(ext);
    api = await ext.activate();
    server = await startSftpServer();
    // The extension reads ~/.ssh (key, known_hosts) from HOME, as ssh does; no agent here.
    process.env.HOME = server.home;
    delete process.env.SSH_AUTH_SOCK;
    const backups = join(server.dir, 'backups');
    await fs.mkdir(join(backups, 'database'), { recursive: true });
    backup = join(backups, 'database', NAME);
    const bytes = gzipSync(
      `-- PostgreSQL database dump\n${randomBytes(300_000).toString('base64')}\n-- PostgreSQL database dump complete\n`,
    );
    await fs.writeFile(backup, bytes);
    await writeManifest(backup, {
      formatVersion: MANIFEST_VERSION,
      kind: 'database',
      createdAt: new Date().toISOString(),
      tool: { name: 'lifeboat', version: 'test' },
      source: { project: 'sms', database: 'sms_db' },
      compression: { format: 'gzip' },
      file: { name: NAME, bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') },
      verifications: [{ at: new Date().toISOString(), depth: 'quick', ok: true }],
    });
    await setSetting('backupDirectory', backups);
    await setSetting('offsite.requireEncryption', false);
    await setSetting('offsite.destination', `sftp://${server.user}@127.0.0.1:${server.port}${server.remote}`);
  });

  after(async () => {
    api.setPrompter(undefined);
    for (const key of ['backupDirectory', 'offsite.destination', 'offsite.requireEncryption']) await setSetting(key, undefined);
    process.env.HOME = saved.HOME;
    if (saved.SSH_AUTH_SOCK !== undefined) process.env.SSH_AUTH_SOCK = saved.SSH_AUTH_SOCK;
    await server?.stop();
  });

  it('an unknown host key: the modal shows its fingerprint with Cancel as the default; Cancel copies nothing and trusts nothing', async () => {
    const seen: { message: string; detail: string; action: string; safe: string }[] = [];
    answering(undefined, seen);
    await vscode.commands.executeCommand('lifeboat.copyOffsite', vscode.Uri.file(backup));
    assert.equal(seen.length, 1);
    assert.equal(seen[0].message, `The SFTP server 127.0.0.1:${server.port} is not known yet. Trust its host key?`);
    assert.ok(seen[0].detail.includes(`Fingerprint: ${server.hostFingerprint}`), seen[0].detail);
    assert.deepEqual([seen[0].action, seen[0].safe], ['Trust and Continue', 'Cancel']);
    // A declined question is the user's own cancel: no error is shown.
    assert.equal(api.lastError(), undefined, String(api.lastError()));
    assert.equal(existsSync(knownHosts()), false);
    assert.equal(existsSync(remoteCopy()), false);
  });

  it('"Trust and Continue": the key goes into known_hosts and the backup is copied and checked', async () => {
    const seen: { message: string; detail: string; action: string; safe: string }[] = [];
    answering('Trust and Continue', seen);
    const result = await vscode.commands.executeCommand<{ outcome: string }>('lifeboat.copyOffsite', vscode.Uri.file(backup));
    assert.equal(api.lastError(), undefined, String(api.lastError()));
    assert.equal(result?.outcome, 'copied');
    assert.equal(seen.length, 1);
    assert.match(await fs.readFile(knownHosts(), 'utf8'), /^\|1\|.* ssh-ed25519 /);
    assert.deepEqual(await fs.readFile(remoteCopy()), await fs.readFile(backup));
    // Trusted now: no question the second time, and the same backup is not sent again.
    const again = await vscode.commands.executeCommand<{ outcome: string }>('lifeboat.copyOffsite', vscode.Uri.file(backup));
    assert.equal(again?.outcome, 'skipped');
    assert.equal(seen.length, 1);
  });

  it('a changed host key: refused with a warning, never offered for trust', async () => {
    const seen: { message: string; detail: string; action: string; safe: string }[] = [];
    answering('Trust and Continue', seen);
    const impostor = (await keygen(join(server.dir, 'impostor'))).split(' ').slice(0, 2).join(' ');
    await fs.writeFile(knownHosts(), `[127.0.0.1]:${server.port} ${impostor}\n`);
    await vscode.commands.executeCommand('lifeboat.copyOffsite', vscode.Uri.file(backup));
    assert.deepEqual(seen, []);
    assert.match(String(api.lastError()?.message), /host key that has CHANGED/);
    assert.ok(String(api.lastError()?.message).includes(server.hostFingerprint));
  });
});
