import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { LifeboatApi } from '../../../src/extension/extension';
import { demoPsql, recordingPrompter } from './modals';

/** The live data, as the integration tests read it: counts and a checksum per table. */
async function fingerprint(): Promise<string> {
  const sql = `SELECT string_agg(t || ':' || n, ',' ORDER BY t) FROM (
     SELECT quote_ident(table_name) AS t,
            (xpath('/row/c/text()', query_to_xml(format('select md5(coalesce(string_agg(x::text, '','' ORDER BY x::text), '''')) || count(*) as c from %I.%I x', table_schema, table_name), false, true, '')))[1]::text AS n
       FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE') s`;
  return demoPsql(sql);
}

async function sideDatabases(): Promise<string[]> {
  return (await demoPsql("SELECT datname FROM pg_database WHERE datname LIKE 'sms\\_db\\_%' ORDER BY 1", 'postgres'))
    .split('\n')
    .filter(Boolean);
}

describe('restore commands in the extension host', function () {
  this.timeout(240_000);
  let api: LifeboatApi;
  let backup: string;

  before(async () => {
    const ext = vscode.extensions.getExtension<LifeboatApi>('lifeboat-dev.lifeboat');
    assert.ok(ext);
    api = await ext.activate();
    const dir = await fs.mkdtemp(join(tmpdir(), 'lifeboat-host-restore-'));
    await vscode.workspace.getConfiguration('lifeboat').update('backupDirectory', dir, vscode.ConfigurationTarget.Global);
    backup = (await vscode.commands.executeCommand<string>('lifeboat.backupDatabase'))!;
    assert.ok(backup, String(api.lastError()));
  });

  after(async () => {
    api.setPrompter(undefined);
    await vscode.workspace.getConfiguration('lifeboat').update('backupDirectory', undefined, vscode.ConfigurationTarget.Global);
    for (const d of await sideDatabases()) await demoPsql(`DROP DATABASE "${d}" WITH (FORCE)`, 'postgres');
  });

  it('typing the wrong name leaves the live database as it was', async () => {
    const before = await fingerprint();
    const { prompter, asked } = recordingPrompter('action', false);
    api.setPrompter(prompter);
    const result = await vscode.commands.executeCommand('lifeboat.restoreDatabase', vscode.Uri.file(backup));
    assert.equal(result, undefined);
    assert.equal(api.lastError(), undefined, String(api.lastError()));
    assert.equal(await fingerprint(), before);
    assert.deepEqual(await sideDatabases(), []);
    assert.match(asked[0].text, /^Replace the live database "sms_db" with this backup\?/);
    assert.match(asked[0].text, /Dry run passed: \d+ tables and [\d,]+ rows restored into "sms_db_restore_\d{8}_\d{6}"/);
    assert.match(asked[0].text, /"sms-web" will be stopped during the swap and started again\./);
    // Judged from the workspace's own migration scripts (demo/backend/alembic/versions).
    assert.match(
      asked[0].text,
      /Alembic: the backup is at the workspace's newest migration \(0004_student_contact\); nothing to migrate\./,
    );
  });

  it('a psql session with an open transaction is named in the modals of Restore and Swap Back (issue 14.9)', async () => {
    const copy = 'sms_db_pre_restore_20260101_000000';
    await demoPsql(`CREATE DATABASE ${copy}`, 'postgres');
    const developer = spawn(
      'docker',
      ['exec', '-i', '-e', 'PGAPPNAME=dev-psql', 'sms-db', 'psql', '-X', '-q', '-U', 'sms_user', '-d', 'sms_db'],
      { stdio: ['pipe', 'ignore', 'ignore'] },
    );
    try {
      developer.stdin.write('BEGIN;\nSELECT 1;\n');
      const deadline = Date.now() + 20_000;
      const state = () => demoPsql("SELECT state FROM pg_stat_activity WHERE application_name = 'dev-psql'", 'postgres');
      while ((await state()) !== 'idle in transaction') {
        assert.ok(Date.now() < deadline, 'the psql session never opened its transaction');
        await new Promise((r) => setTimeout(r, 200));
      }
      const { prompter, asked } = recordingPrompter('decline');
      api.setPrompter(prompter);
      assert.equal(await vscode.commands.executeCommand('lifeboat.restoreDatabase', vscode.Uri.file(backup)), undefined);
      assert.equal(await vscode.commands.executeCommand('lifeboat.swapBack', copy), undefined);
      assert.equal(api.lastError(), undefined, String(api.lastError()));
      assert.equal(asked.length, 2);
      for (const { detail } of asked) {
        const first = detail.split('\n');
        // The work that would be lost comes first.
        assert.match(
          first[0],
          /^Uncommitted work will be lost: a session has a transaction open\. The swap disconnects \d+ other sessions? of "sms_db":$/,
        );
        assert.match(
          first[1],
          /^"dev-psql" \(sms_user through the local socket\), idle in transaction since \d\d:\d\d; its uncommitted work will be lost\.$/,
        );
      }
    } finally {
      developer.stdin.end();
      developer.kill();
      await demoPsql(`DROP DATABASE IF EXISTS ${copy} WITH (FORCE)`, 'postgres');
    }
  });

  it('restores after the typed name, shows the pre-restore copy, swaps back and drops it', async () => {
    await demoPsql('DELETE FROM enrollments WHERE id % 2 = 0');
    const damaged = await fingerprint();
    const { prompter, typed } = recordingPrompter('action', true);
    api.setPrompter(prompter);
    const pre = await vscode.commands.executeCommand<string>('lifeboat.restoreDatabase', vscode.Uri.file(backup));
    assert.equal(api.lastError(), undefined, String(api.lastError()));
    assert.deepEqual(typed, ['sms_db']);
    assert.match(pre ?? '', /^sms_db_pre_restore_\d{8}_\d{6}$/);
    const restored = await fingerprint();
    assert.notEqual(restored, damaged);

    api.tree.refresh();
    const roots = await api.tree.getChildren();
    const group = roots.find((r) => r.label === 'Database copies');
    assert.ok(group, `groups: ${roots.map((r) => r.label).join(', ')}`);
    const items = (await api.tree.getChildren(group)).map((n) => api.tree.getTreeItem(n));
    const item = items.find((i) => i.label === pre);
    assert.ok(item);
    assert.equal(item.contextValue, 'sidedb.pre_restore');

    const aside = await vscode.commands.executeCommand<string>('lifeboat.swapBack', pre);
    assert.equal(api.lastError(), undefined, String(api.lastError()));
    assert.equal(await fingerprint(), damaged, 'swap back brings the damaged database back');
    assert.match(aside ?? '', /^sms_db_pre_restore_/);

    // And forward again, so the demo data stays whole for the next suites.
    await vscode.commands.executeCommand('lifeboat.swapBack', aside);
    assert.equal(await fingerprint(), restored);

    for (const d of await sideDatabases()) {
      assert.equal(await vscode.commands.executeCommand('lifeboat.dropSideDatabase', d), true, String(api.lastError()));
    }
    assert.deepEqual(await sideDatabases(), []);
  });

  it('refuses to drop a database that is not a Lifeboat copy', async () => {
    api.setPrompter(recordingPrompter('action').prompter);
    assert.equal(await vscode.commands.executeCommand('lifeboat.dropSideDatabase', 'sms_db'), undefined);
    assert.match(api.lastError()?.message ?? '', /"sms_db" is not a copy Lifeboat kept/);
  });
});
