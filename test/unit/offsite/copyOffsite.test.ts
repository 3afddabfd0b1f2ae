import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import { join } from 'node:path';
import { decryptFile } from '../../../src/core/encryption';
import { CancelledError, LifeboatError, SettingsError } from '../../../src/core/common';
import type { Manifest } from '../../../src/core/store';
import { FolderDestination, S3Destination, SftpDestination, copyOffsite, offsiteCopies, parseDestination } from '../../../src/core/offsite';
import type { PendingWrite } from '../../../src/core/offsite';
import { BACKUP_NAME as NAME, eachOffsiteFixture, sha256Hex as sha } from '../../support/offsiteFixture';

describe('copyOffsite to a folder destination', () => {
  let root: string;
  let remote: string;
  let backup: string;
  let bytes: Buffer;
  // Several megabytes of incompressible rows, so the copy takes many chunks and can be watched mid-way.
  eachOffsiteFixture('lb-offsite-', 2_500_000, (f) => ({ root, remote, backup, bytes } = f));

  const final = () => join(remote, 'database', NAME);
  const remoteFiles = async () => (await fs.readdir(join(remote, 'database')).catch(() => [] as string[])).sort();

  it('mirrors the local layout, data then manifest, and the copy reads as a dump with gunzip', async () => {
    const seen: string[] = [];
    const result = await copyOffsite(backup, new FolderDestination(remote), {
      requireEncryption: false,
      progress: (u) => {
        if (u.bytes && u.bytes > 0) {
          // Mid-copy and while it is read back, the final name must not exist yet.
          assert.equal(existsSync(final()), false, `${NAME} was visible during "${u.phase}"`);
          seen.push(u.phase);
        }
      },
    });
    assert.equal(result.outcome, 'copied');
    assert.equal(result.remotePath, `database/${NAME}`);
    assert.ok(
      seen.some((p) => p.startsWith('Copying')) && seen.some((p) => p.startsWith('Checking the copy')),
      `phases: ${[...new Set(seen)].join(', ')}`,
    );
    assert.deepEqual(await remoteFiles(), [NAME, `${NAME}.json`]);
    assert.equal(sha(await fs.readFile(final())), sha(bytes));
    const m = JSON.parse(await fs.readFile(`${final()}.json`, 'utf8')) as Manifest;
    assert.equal(m.file.sha256, sha(bytes));
    assert.equal(m.file.bytes, bytes.length);
    // The manifest follows its data: it is never older than the file it describes.
    assert.ok((await fs.stat(`${final()}.json`)).mtimeMs >= (await fs.stat(final())).mtimeMs);
    const head = execFileSync('sh', ['-c', `gunzip -c "${final()}" | head -n 1`]).toString();
    assert.equal(head, '-- PostgreSQL database dump\n');
    assert.deepEqual([...(await offsiteCopies(new FolderDestination(remote))).keys()], [NAME]);
  });

  it('does not send a backup again when the destination holds the same sha256', async () => {
    const dest = new FolderDestination(remote);
    await copyOffsite(backup, dest, { requireEncryption: false });
    const before = (await fs.stat(final())).mtimeMs;
    let sent = 0;
    const again = await copyOffsite(backup, dest, { requireEncryption: false, progress: (u) => (sent = Math.max(sent, u.bytes ?? 0)) });
    assert.equal(again.outcome, 'skipped');
    assert.equal(sent, 0);
    assert.equal((await fs.stat(final())).mtimeMs, before);
  });

  it('sends it again when the copy there differs from its manifest (a cut-off file)', async () => {
    const dest = new FolderDestination(remote);
    await copyOffsite(backup, dest, { requireEncryption: false });
    await fs.truncate(final(), 1000);
    const again = await copyOffsite(backup, dest, { requireEncryption: false });
    assert.equal(again.outcome, 'copied');
    assert.equal(sha(await fs.readFile(final())), sha(bytes));
  });

  it('refuses a copy that does not read back as sent, leaving nothing at the destination', async () => {
    // The disk holding the copy changes a byte: the read-back sees the real file on disk.
    class FlakyDisk extends FolderDestination {
      override async write(path: string): Promise<PendingWrite> {
        const pending = await super.write(path);
        return {
          ...pending,
          stream: pending.stream,
          readBack: async () => {
            const partial = join(remote, 'database', `.${NAME}.partial`);
            const handle = await fs.open(partial, 'r+');
            await handle.write(Buffer.from([0x42]), 0, 1, 5000);
            await handle.close();
            return pending.readBack();
          },
        };
      }
    }
    await assert.rejects(
      copyOffsite(backup, new FlakyDisk(remote), { requireEncryption: false }),
      (err: Error) =>
        err instanceof LifeboatError && /does not match what was sent/.test(err.message) && /It was removed\./.test(err.message),
    );
    assert.deepEqual(await remoteFiles(), []);
  });

  it('refuses a local backup that no longer matches its manifest, leaving nothing', async () => {
    const changed = Buffer.from(bytes);
    changed[2000] ^= 0xff;
    await fs.writeFile(backup, changed);
    await assert.rejects(
      copyOffsite(backup, new FolderDestination(remote), { requireEncryption: false }),
      /does not match the sha256 its manifest recorded: it changed or is corrupt since it was made\. Nothing was copied\./,
    );
    assert.deepEqual(await remoteFiles(), []);
  });

  it('a cancel mid-copy leaves neither the final name nor a partial', async () => {
    const ac = new AbortController();
    await assert.rejects(
      copyOffsite(backup, new FolderDestination(remote), {
        requireEncryption: false,
        signal: ac.signal,
        progress: (u) => {
          if ((u.bytes ?? 0) > 256 * 1024) ac.abort();
        },
      }),
      (err: Error) => err instanceof CancelledError,
    );
    assert.deepEqual(await remoteFiles(), []);
  });

  it('with requireEncryption and no key, refuses and says how to set one', async () => {
    await assert.rejects(copyOffsite(backup, new FolderDestination(remote), { requireEncryption: true }), (err: Error) => {
      assert.ok(err instanceof LifeboatError);
      assert.match(
        err.message,
        /is not encrypted, and the setting lifeboat\.offsite\.requireEncryption keeps unencrypted backups from leaving this machine\. Nothing was copied\./,
      );
      assert.match(err.hint ?? '', /lifeboat\.encryption\.keyFile/);
      return true;
    });
    assert.deepEqual(await remoteFiles(), []);
  });

  it('with requireEncryption and a key, sends an age file that decrypts to the backup, and skips it the next time', async () => {
    const dest = new FolderDestination(remote);
    const key = { format: 'age' as const, passphrase: 'correct horse', workFactor: 2 };
    const result = await copyOffsite(backup, dest, { requireEncryption: true, key });
    assert.equal(result.remotePath, `database/${NAME}.age`);
    assert.equal(result.encrypted, true);
    assert.deepEqual(await remoteFiles(), [`${NAME}.age`, `${NAME}.age.json`]);
    const sealed = await fs.readFile(`${final()}.age`);
    assert.ok(!sealed.includes(bytes.subarray(100, 164)), 'plaintext reached the destination');
    const m = JSON.parse(await fs.readFile(`${final()}.age.json`, 'utf8')) as Manifest;
    assert.equal(m.encryption?.plaintextSha256, sha(bytes));
    assert.equal(m.file.sha256, sha(sealed));
    // The encrypted copy opens with the key and gives back the backup, checked against its manifest.
    const opened = await decryptFile(`${final()}.age`, { key: { passphrase: 'correct horse' } });
    assert.equal(opened.checkedAgainstManifest, true);
    assert.equal(sha(await fs.readFile(opened.path)), sha(bytes));
    await fs.rm(opened.path);
    // age salts every file, so the skip goes by the plaintext's sha256.
    assert.equal((await copyOffsite(backup, dest, { requireEncryption: true, key })).outcome, 'skipped');
    assert.deepEqual([...(await offsiteCopies(dest)).keys()].sort(), [NAME, `${NAME}.age`]);
  });

  it('refuses a destination folder that does not exist rather than creating it', async () => {
    const dest = new FolderDestination(join(root, 'not-mounted'));
    await assert.rejects(dest.check(), /The off-site folder .*not-mounted does not exist\./);
    await assert.rejects(copyOffsite(backup, dest, { requireEncryption: false }), /does not exist/);
    assert.equal(existsSync(join(root, 'not-mounted')), false);
  });
});

describe('parseDestination', () => {
  it('reads a folder, an s3:// location and an sftp:// address; other schemes are refused', () => {
    assert.ok(parseDestination('/mnt/nas/sms') instanceof FolderDestination);
    assert.equal(parseDestination(''), undefined);
    assert.ok(parseDestination('s3://bucket/sms') instanceof S3Destination);
    assert.equal(parseDestination(undefined), undefined, 'an unset setting');
    assert.equal(parseDestination('   '), undefined);
    assert.throws(
      () => parseDestination('ftp://nas/backups'),
      (err: Error) => err instanceof SettingsError && /"ftp:\/\/" is not a destination Lifeboat knows\./.test(err.message),
    );
    const sftp = parseDestination('sftp://backup@nas:2222/srv/backups/');
    assert.ok(sftp instanceof SftpDestination);
    assert.deepEqual(sftp.target, { user: 'backup', host: 'nas', port: 2222, root: '/srv/backups' });
    assert.equal(sftp.describe(), 'the SFTP folder sftp://backup@nas:2222/srv/backups');
    assert.throws(() => parseDestination('ftp://nas/x'), /"ftp:\/\/" is not a destination Lifeboat knows/);
    assert.throws(() => parseDestination('relative/dir'), /not an absolute folder path/);
  });
});
