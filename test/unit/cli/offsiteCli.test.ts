import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { main } from '../../../src/cli/main';
import { decryptFile } from '../../../src/core/encryption';
import { MANIFEST_VERSION, writeManifest } from '../../../src/core/store';

const NAME = 'sms_backup_20260301_020000.sql.gz';
const NAME2 = 'sms_backup_20260302_020000.sql.gz';
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Runs the command line in this process, with what it prints. */
async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const write = { out: process.stdout.write, err: process.stderr.write };
  process.stdout.write = ((chunk: string | Uint8Array) => ((out += String(chunk)), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => ((err += String(chunk)), true)) as typeof process.stderr.write;
  try {
    return { code: await main(args), out, err };
  } finally {
    process.stdout.write = write.out;
    process.stderr.write = write.err;
  }
}

describe('lifeboat offsite list|copy|pull (the command line, a folder destination)', () => {
  let root: string;
  let project: string;
  let nas: string;
  let data: Buffer;
  const settings = (extra: Record<string, unknown>) =>
    fs.writeFile(
      join(project, '.vscode', 'settings.json'),
      JSON.stringify({ 'lifeboat.backupDirectory': 'backups', 'lifeboat.offsite.destination': nas, ...extra }),
    );
  const local = () => join(project, 'backups', 'database', NAME);

  beforeEach(async () => {
    root = await fs.mkdtemp(join(tmpdir(), 'lb-cli-offsite-'));
    project = join(root, 'project');
    nas = join(root, 'nas');
    await fs.mkdir(join(project, '.vscode'), { recursive: true });
    await fs.mkdir(join(project, 'backups', 'database'), { recursive: true });
    await fs.mkdir(nas);
    data = gzipSync('-- PostgreSQL database dump\nCOPY public.t (v) FROM stdin;\n1\n\\.\n-- PostgreSQL database dump complete\n');
    await fs.writeFile(local(), data);
    await writeManifest(local(), {
      formatVersion: MANIFEST_VERSION,
      kind: 'database',
      createdAt: '2026-03-01T02:00:00.000Z',
      tool: { name: 'lifeboat', version: 'test' },
      source: { database: 'sms_db' },
      compression: { format: 'gzip' },
      file: { name: NAME, bytes: data.length, sha256: sha(data) },
      verifications: [],
    });
  });
  afterEach(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  it('copy refuses plaintext without a key (exit 1, the setting named), then encrypts with the key file; --new sends only what is not there; list and pull bring it back after a disk loss', async () => {
    await settings({});
    const refused = await cli(['offsite', 'copy', '--folder', project]);
    assert.equal(refused.code, 1);
    assert.match(refused.err, /lifeboat\.offsite\.requireEncryption keeps unencrypted backups from leaving this machine/);
    assert.deepEqual(await fs.readdir(nas), []);

    const keyFile = join(root, 'backup_key');
    await fs.writeFile(keyFile, 'cli off-site passphrase, long enough\n', { mode: 0o600 });
    await settings({ 'lifeboat.encryption.keyFile': keyFile, 'lifeboat.encryption.format': 'openssl' });
    const copied = await cli(['offsite', 'copy', '--folder', project]);
    assert.equal(copied.code, 0, copied.err);
    assert.match(copied.out, new RegExp(`^COPIED  ${NAME} → database/${NAME}\\.enc \\(`));
    const again = await cli(['offsite', 'copy', '--folder', project]);
    assert.match(again.out, /^THERE /, 'the same backup is not sent twice');

    const second = join(project, 'backups', 'database', NAME2);
    await fs.writeFile(second, data);
    const onlyNew = await cli(['offsite', 'copy', '--new', '--folder', project]);
    assert.equal(onlyNew.code, 0, onlyNew.err);
    assert.deepEqual(
      onlyNew.out
        .trim()
        .split('\n')
        .map((l) => l.split(' → ')[0]),
      [`COPIED  ${NAME2}`],
    );
    const none = await cli(['offsite', 'copy', '--new', '--folder', project]);
    assert.match(none.out, /^Every backup in .* is at the folder .* already\.$/m);
    await fs.rm(join(nas, 'database', `${NAME2}.enc`));
    await fs.rm(join(nas, 'database', `${NAME2}.enc.json`));

    await fs.rm(join(project, 'backups'), { recursive: true });
    const listed = await cli(['offsite', 'list', '--json', '--folder', project]);
    assert.equal(listed.code, 0, listed.err);
    assert.deepEqual(JSON.parse(listed.out.trim()), {
      path: `database/${NAME}.enc`,
      kind: 'database',
      bytes: (await fs.stat(join(nas, 'database', `${NAME}.enc`))).size,
      manifest: true,
      local: false,
    });
    const fetched = await cli(['offsite', 'pull', `database/${NAME}.enc`, '--folder', project]);
    assert.equal(fetched.code, 0, fetched.err);
    assert.match(fetched.out, /^PULLED  database\/.*\(matches its manifest\)$/m);
    const back = join(project, 'backups', 'database', `${NAME}.enc`);
    const opened = await decryptFile(back, { key: { passphrase: 'cli off-site passphrase, long enough' } });
    assert.equal(sha(await fs.readFile(opened.path)), sha(data));
    assert.equal(opened.checkedAgainstManifest, true);
  });

  it('without a destination, or with an unknown action, says what to do (exit 2 for usage)', async () => {
    await fs.writeFile(join(project, '.vscode', 'settings.json'), '{}');
    const none = await cli(['offsite', 'list', '--folder', project]);
    assert.equal(none.code, 1);
    assert.match(none.err, /No off-site destination is set\.\n {2}Set lifeboat\.offsite\.destination/);
    await settings({});
    const bad = await cli(['offsite', 'push', '--folder', project]);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /Unknown offsite action "push"/);
    assert.equal(existsSync(join(nas, 'database')), false);
  });

  it('prune applies lifeboat.offsite.retention to the copies after the local folder; --dry-run deletes nothing; without rules copies are never pruned', async () => {
    await fs.mkdir(join(nas, 'database'));
    const names = ['sms_backup_20260101_020000.sql.gz', 'sms_backup_20260102_020000.sql.gz', 'sms_backup_20260103_020000.sql.gz'];
    for (const n of names) await fs.writeFile(join(nas, 'database', n), 'x');
    await settings({});
    const plain = await cli(['prune', '--folder', project]);
    assert.equal(plain.code, 0, plain.err);
    assert.doesNotMatch(plain.out, /Off-site/);
    assert.equal((await fs.readdir(join(nas, 'database'))).length, 3);

    await settings({ 'lifeboat.offsite.retention.database': { keepLast: 1 } });
    const preview = await cli(['prune', '--dry-run', '--folder', project]);
    assert.equal(preview.code, 0, preview.err);
    assert.match(preview.out, /^Off-site, the folder .*:$/m);
    assert.match(preview.out, /would delete {2}sms_backup_20260101_020000\.sql\.gz/);
    assert.equal((await fs.readdir(join(nas, 'database'))).length, 3);

    const pruned = await cli(['prune', '--folder', project]);
    assert.equal(pruned.code, 0, pruned.err);
    assert.match(pruned.out, /Deleted 2 off-site copies, freed 2 B\./);
    assert.deepEqual(await fs.readdir(join(nas, 'database')), [names[2]]);
    assert.ok(existsSync(local()), 'the local backup stays');
  });
});
