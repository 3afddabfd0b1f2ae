import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import * as vscode from 'vscode';
import type { LifeboatApi } from '../../../src/extension/extension';
import { SilentServer, silentServer } from '../../support/silentServer';
import { until } from './until';

const EXTENSION_ID = 'lifeboat-dev.lifeboat';
const NAME = 'sms_backup_20260101_020000.sql.gz';

/**
 * The Backups view with an S3 destination whose server accepts connections and never answers
 * (a TCP server on 127.0.0.1, the endpoint in lifeboat.offsite.s3.endpoint): the view stops
 * waiting after 10 s, shows the local groups and says the destination is not reachable; the
 * listing goes on, and what it ends with shows when the server goes away.
 */
describe('The Backups view with an off-site server that never answers', function () {
  this.timeout(120_000);
  let api: LifeboatApi;
  let dir: string;
  let server: SilentServer;
  const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
  const setSetting = (key: string, value: unknown) =>
    vscode.workspace.getConfiguration('lifeboat').update(key, value, vscode.ConfigurationTarget.Global);
  const label = (n: vscode.TreeItem) => (typeof n.label === 'string' ? n.label : n.label?.label);

  before(async () => {
    const ext = vscode.extensions.getExtension<LifeboatApi>(EXTENSION_ID);
    assert.ok(ext);
    api = await ext.activate();
    dir = await fs.mkdtemp(join(tmpdir(), 'lifeboat-host-unreachable-'));
    // A runbook-made backup: listed from the folder alone, no Docker work needed.
    await fs.mkdir(join(dir, 'backups', 'database'), { recursive: true });
    await fs.writeFile(
      join(dir, 'backups', 'database', NAME),
      gzipSync('-- PostgreSQL database dump\n-- PostgreSQL database dump complete\n'),
    );
    server = await silentServer();
    // Keys from the environment, so the listing goes to the server instead of stopping at "no credentials".
    process.env.AWS_ACCESS_KEY_ID = 'AKIDUNREACHABLE';
    process.env.AWS_SECRET_ACCESS_KEY = 'not-used';
    await setSetting('backupDirectory', join(dir, 'backups'));
    await setSetting('offsite.s3.endpoint', `http://127.0.0.1:${server.port}`);
    await setSetting('offsite.s3.forcePathStyle', true);
    await setSetting('offsite.destination', 's3://sms-backups/sms');
  });

  after(async () => {
    for (const key of ['offsite.destination', 'offsite.s3.endpoint', 'offsite.s3.forcePathStyle', 'backupDirectory'])
      await setSetting(key, undefined);
    for (const [name, value] of [
      ['AWS_ACCESS_KEY_ID', saved.id],
      ['AWS_SECRET_ACCESS_KEY', saved.secret],
    ] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    await server.stop();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('shows the local groups after 10 s, the Off-site group "not reachable (timed out after 10 s)", and later what the listing ended with', async () => {
    api.tree.refresh();
    const start = Date.now();
    const roots = await api.tree.getChildren();
    const waited = Date.now() - start;
    assert.ok(waited >= 9_500 && waited < 13_000, `the view waited ${waited} ms`);
    assert.ok(server.accepted >= 1, 'the listing never reached the server');

    const database = roots.find((n) => api.tree.getTreeItem(n).contextValue === 'group.database');
    assert.ok(database, 'no Database group');
    const groupStart = Date.now();
    const rows = (await api.tree.getChildren(database)).map((n) => api.tree.getTreeItem(n));
    assert.ok(Date.now() - groupStart < 2_000, `the Database group waited ${Date.now() - groupStart} ms`);
    const row = rows.find((i) => (i.resourceUri as vscode.Uri | undefined)?.fsPath.endsWith(NAME));
    assert.ok(row, rows.map((i) => label(i)).join(', '));
    // Whether it is off-site is unknown, not "local only".
    assert.match(String(row.description), / · off-site unknown$/);

    const offsite = roots.find((n) => api.tree.getTreeItem(n).contextValue === 'group.offsite');
    assert.ok(offsite, 'no Off-site group');
    assert.equal(api.tree.getTreeItem(offsite).description, 'not reachable (timed out after 10 s)');
    const [notice] = (await api.tree.getChildren(offsite)).map((n) => api.tree.getTreeItem(n));
    assert.match(
      String(label(notice)),
      /^Not reachable: s3:\/\/sms-backups\/sms at http:\/\/127\.0\.0\.1:\d+ did not answer \(timed out after 10 s\)\. Refresh to try again\.$/,
    );
    // The listing was not cancelled with the wait: its request is still open at the server.
    assert.ok(server.open() >= 1, 'the listing gave up with the view');

    // The server goes away: the listing ends with its own error, and the view shows it by itself.
    await server.stop();
    const after = await until('the late listing in the Off-site group', async () => {
      const group = (await api.tree.getChildren()).find((n) => api.tree.getTreeItem(n).contextValue === 'group.offsite');
      return group && api.tree.getTreeItem(group).description === 'cannot be read' ? group : undefined;
    });
    const [late] = (await api.tree.getChildren(after)).map((n) => api.tree.getTreeItem(n));
    assert.match(String(label(late)), /^Cannot reach the S3 storage at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);
  });
});
