import * as assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import * as vscode from 'vscode';
import type { LifeboatApi } from '../../../src/extension/extension';
import type { PickItem, Prompter } from '../../../src/extension/ui/prompter';
import { S3TestServer, motoServerPath, startMotoS3 } from '../../support/s3Server';

const EXTENSION_ID = 'lifeboat-dev.lifeboat';
const BUCKET = 'sms-backups';
const NAME = 'sms_backup_20260110_020000.sql.gz';

/**
 * "Lifeboat: Set Off-site S3 Keys…" and "Forget Saved Passphrase" in a real VS Code against
 * real moto servers, with no AWS keys in the environment or in ~/.aws: typed keys are checked
 * against the bucket before they are kept (a wrong or powerless key is said as such and not
 * kept), kept keys sign Copy Off-site, and forgotten keys leave the copy with the way back.
 *
 * Two servers: `checking` verifies every signature and policy, so it can refuse keys; moto
 * miscomputes the signature of a request with a "/" in a query value (s3Server.ts), which
 * the copy sends, so the copy goes to `open`, which takes any signed request. There, with no
 * keys anywhere else, the SDK cannot sign at all unless Lifeboat hands it the saved keys.
 */
describe('Set Off-site S3 Keys and Forget Saved Passphrase in the extension host', function () {
  this.timeout(180_000);
  let api: LifeboatApi;
  let checking: S3TestServer;
  let open: S3TestServer;
  let dir: string;
  let backup: string;
  const savedEnv = { ...process.env };
  const setSetting = (key: string, value: unknown) =>
    vscode.workspace.getConfiguration('lifeboat').update(key, value, vscode.ConfigurationTarget.Global);
  const useServer = (server: S3TestServer) => setSetting('offsite.s3.endpoint', server.endpoint);

  /** Answers the three input boxes with `answers` (undefined: Escape) and records their titles. */
  function typing(answers: (string | undefined)[], titles: string[] = []): void {
    const prompter: Partial<Prompter> = {
      askText: async (_prompt, opts) => {
        titles.push(`${opts.title}${opts.password ? ' (password)' : ''}`);
        return answers.shift();
      },
    };
    api.setPrompter(prompter);
  }

  /** What Forget Saved Passphrase offers: its rows' labels (none ticked), answering with the rows `choose` matches. */
  async function forget(choose: RegExp | undefined): Promise<{ offered: string[]; ticked: boolean[]; result: unknown }> {
    const offered: string[] = [];
    const ticked: boolean[] = [];
    api.setPrompter({
      pickMany: async <T>(items: PickItem<T>[]) => {
        for (const i of items) {
          offered.push(i.label);
          ticked.push(i.picked === true);
        }
        return choose ? items.filter((i) => choose.test(i.label)).map((i) => i.value) : undefined;
      },
    });
    const result = await vscode.commands.executeCommand('lifeboat.forgetPassphrase');
    return { offered, ticked, result };
  }

  const where = (server: S3TestServer) => `s3://${BUCKET} at ${server.endpoint}`;

  before(async function () {
    if (!motoServerPath()) {
      if (process.env.CI === 'true') throw new Error('moto_server is not installed; the CI image must have it.');
      console.log(`[s3Keys] skipped: no moto_server on PATH (${process.env.PATH}) or in ~/.pyenv/shims`);
      this.skip();
    }
    const ext = vscode.extensions.getExtension<LifeboatApi>(EXTENSION_ID);
    assert.ok(ext);
    api = await ext.activate();
    dir = await fs.mkdtemp(join(tmpdir(), 'lifeboat-host-s3keys-'));
    // The extension host is this process: whatever AWS keys it inherited would sign the requests.
    for (const k of Object.keys(process.env)) if (k.startsWith('AWS_')) delete process.env[k];
    await fs.writeFile(join(dir, 'aws-credentials'), '');
    await fs.writeFile(join(dir, 'aws-config'), '');
    process.env.AWS_SHARED_CREDENTIALS_FILE = join(dir, 'aws-credentials');
    process.env.AWS_CONFIG_FILE = join(dir, 'aws-config');
    process.env.AWS_EC2_METADATA_DISABLED = 'true';
    checking = await startMotoS3([BUCKET], true);
    open = await startMotoS3([BUCKET], false);

    const backups = join(dir, 'backups');
    await fs.mkdir(join(backups, 'database'), { recursive: true });
    backup = join(backups, 'database', NAME);
    // A runbook-made backup (no manifest): the copy needs nothing more.
    await fs.writeFile(
      backup,
      gzipSync(`-- PostgreSQL database dump\n${randomBytes(50_000).toString('base64')}\n-- PostgreSQL database dump complete\n`),
    );
    await setSetting('backupDirectory', backups);
    await setSetting('offsite.requireEncryption', false);
    await setSetting('offsite.destination', `s3://${BUCKET}`);
    await setSetting('offsite.s3.forcePathStyle', true);
    await useServer(checking);
  });

  after(async () => {
    api?.setPrompter(undefined);
    // Leave no keys of these servers behind in the keychain.
    if (api) await forget(/^S3 keys for s3:\/\/sms-backups at http:\/\/127\.0\.0\.1:/);
    api?.setPrompter(undefined);
    for (const key of [
      'backupDirectory',
      'offsite.destination',
      'offsite.requireEncryption',
      'offsite.s3.endpoint',
      'offsite.s3.forcePathStyle',
    ])
      await setSetting(key, undefined);
    for (const k of Object.keys(process.env)) if (k.startsWith('AWS_') && !(k in savedEnv)) delete process.env[k];
    Object.assign(process.env, savedEnv);
    await checking?.stop();
    await open?.stop();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it('asks the key ID, then the secret and the optional token in password boxes', async () => {
    const titles: string[] = [];
    typing(['AKIAIOSFODNN7EXAMPLE', undefined], titles);
    assert.equal(await vscode.commands.executeCommand('lifeboat.setS3Keys'), false);
    assert.equal(api.lastError(), undefined, String(api.lastError()));
    assert.deepEqual(titles, ['Lifeboat: S3 access key ID (1/3)', 'Lifeboat: S3 secret access key (2/3) (password)']);
  });

  it('an access key the storage does not know, a wrong secret and a key without rights are each said as such, and nothing is kept', async () => {
    typing(['AKIANOTAKNOWNKEY0000', 'whatever', '']);
    assert.equal(await vscode.commands.executeCommand('lifeboat.setS3Keys'), undefined);
    assert.equal(
      api.lastError()?.message,
      `The S3 storage at ${where(checking)} does not know the access key "AKIA…0000" (InvalidAccessKeyId). Nothing was saved.`,
    );
    assert.match(api.lastErrorText() ?? '', /Check the access key ID and the secret access key/);

    typing([checking.allowed.accessKeyId, 'not-the-secret', '']);
    await vscode.commands.executeCommand('lifeboat.setS3Keys');
    assert.match(
      String(api.lastError()?.message),
      /^The secret access key does not belong to the access key "AKIA…\w{4}": .*\(SignatureDoesNotMatch\)\. Nothing was saved\.$/,
    );

    typing([checking.denied.accessKeyId, checking.denied.secretAccessKey, '']);
    await vscode.commands.executeCommand('lifeboat.setS3Keys');
    assert.match(
      String(api.lastError()?.message),
      /knows the access key "AKIA…\w{4}" but does not let it list the bucket "sms-backups" \(AccessDenied\)\. Nothing was saved\.$/,
    );
    assert.doesNotMatch(api.lastErrorText() ?? '', new RegExp(checking.denied.secretAccessKey));

    const { offered } = await forget(undefined);
    assert.deepEqual(
      offered.filter((l) => l.startsWith('S3 keys')),
      [],
      'refused keys were kept',
    );
  });

  it('the right keys are checked and kept for this destination (listed by Forget, none ticked)', async () => {
    typing([checking.allowed.accessKeyId, checking.allowed.secretAccessKey, '']);
    assert.equal(await vscode.commands.executeCommand('lifeboat.setS3Keys'), true);
    assert.equal(api.lastError(), undefined, String(api.lastError()));
    const { offered, ticked } = await forget(undefined);
    assert.ok(offered.includes(`S3 keys for ${where(checking)}`), offered.join('\n'));
    assert.ok(
      ticked.every((t) => !t),
      'something was ticked by default',
    );
  });

  it('with no keys anywhere, Copy Off-site fails and its message offers "Set Off-site S3 Keys…"; nothing is sent', async () => {
    await useServer(open);
    api.setPrompter(undefined);
    await vscode.commands.executeCommand('lifeboat.copyOffsite', vscode.Uri.file(backup));
    assert.match(String(api.lastError()?.message), /no S3 credentials were found/);
    assert.match(api.lastErrorText() ?? '', /"Lifeboat: Set Off-site S3 Keys…"/);
    assert.equal((await open.client.send(new ListObjectsV2Command({ Bucket: BUCKET }))).KeyCount ?? 0, 0);
  });

  it('with keys saved for this destination, Copy Off-site signs with them and the copy is at the bucket', async () => {
    typing([open.allowed.accessKeyId, open.allowed.secretAccessKey, '']);
    assert.equal(await vscode.commands.executeCommand('lifeboat.setS3Keys'), true);
    const result = await vscode.commands.executeCommand<{ outcome: string; remotePath: string }>(
      'lifeboat.copyOffsite',
      vscode.Uri.file(backup),
    );
    assert.equal(api.lastError(), undefined, String(api.lastError()));
    assert.equal(result?.outcome, 'copied');
    const got = await open.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: `database/${NAME}` }));
    const bytes = Buffer.from(await got.Body!.transformToByteArray());
    const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    assert.equal(sha(bytes), sha(await fs.readFile(backup)));
  });

  it('Forget removes the ticked keys only, says so, and the next copy fails with the hint to set keys', async () => {
    const { offered, result } = await forget(new RegExp(`^S3 keys for s3://sms-backups at ${open.endpoint.replace(/[.]/g, '\\.')}$`));
    assert.equal(result, true);
    assert.ok(offered.includes(`S3 keys for ${where(open)}`), offered.join('\n'));
    assert.ok(offered.includes(`S3 keys for ${where(checking)}`), offered.join('\n'));
    const after = await forget(undefined);
    assert.ok(!after.offered.includes(`S3 keys for ${where(open)}`), after.offered.join('\n'));
    assert.ok(after.offered.includes(`S3 keys for ${where(checking)}`), 'keys that were not ticked were removed too');

    api.setPrompter(undefined);
    await vscode.commands.executeCommand('lifeboat.copyOffsite', vscode.Uri.file(backup));
    assert.match(String(api.lastError()?.message), /no S3 credentials were found/);
    assert.match(api.lastErrorText() ?? '', /"Lifeboat: Set Off-site S3 Keys…"/);
  });

  it("the Backups view's Off-site group says why it cannot list, with a Set S3 Keys… row", async () => {
    api.tree.refresh();
    const group = (await api.tree.getChildren()).find((n) => api.tree.getTreeItem(n).contextValue === 'group.offsite');
    assert.ok(group, 'no Off-site group in the Backups view');
    const rows = (await api.tree.getChildren(group)).map((n) => api.tree.getTreeItem(n));
    assert.match(String(rows[0]?.label), /no S3 credentials were found/);
    assert.equal(rows[1]?.label, 'Set S3 Keys…');
    assert.equal(rows[1]?.command?.command, 'lifeboat.setS3Keys');
  });
});
