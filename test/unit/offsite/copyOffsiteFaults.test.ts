import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { CancelledError, LifeboatError, formatBytesExact } from '../../../src/core/common';
import { generateAgeKeyPair } from '../../../src/core/crypto';
import { decryptFile } from '../../../src/core/encryption';
import type { Manifest } from '../../../src/core/store';
import { FolderDestination, copyOffsite, readRemoteManifest } from '../../../src/core/offsite';
import type { PendingWrite } from '../../../src/core/offsite';
import { BACKUP_NAME as NAME, eachOffsiteFixture, manifestFor, sha256Hex as sha } from '../../support/offsiteFixture';

const esc = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const errno = (code: string, message = `${code}: simulated`) => Object.assign(new Error(message), { code });

/**
 * A real folder destination whose writes can be made to fail the way a disk or share does:
 * the data stream or the read-back erroring with an errno code, or a file read back short.
 * Only `path`s matching `on` are affected, so the data and its manifest can fail separately.
 */
class FaultyFolder extends FolderDestination {
  constructor(
    root: string,
    private readonly fault: {
      on: RegExp;
      write?: Error;
      stream?: Error;
      readBack?: Error;
      short?: boolean;
      afterCommit?: () => void;
    },
  ) {
    super(root);
  }
  override async write(path: string): Promise<PendingWrite> {
    if (!this.fault.on.test(path)) return super.write(path);
    if (this.fault.write) throw this.fault.write;
    const pending = await super.write(path);
    const { stream: streamError, readBack: readBackError, short } = this.fault;
    const stream = streamError
      ? new Writable({
          write: (_chunk, _enc, done) => done(streamError),
          final: (done) => done(),
        })
      : pending.stream;
    if (streamError) pending.stream.end();
    return {
      stream,
      readBack: async () => {
        if (readBackError)
          return new Readable({
            read() {
              this.destroy(readBackError);
            },
          });
        if (!short) return pending.readBack();
        const whole = await pending.readBack();
        const chunks: Buffer[] = [];
        for await (const c of whole) chunks.push(c as Buffer);
        return Readable.from([Buffer.concat(chunks).subarray(1)]);
      },
      commit: async () => {
        await pending.commit();
        this.fault.afterCommit?.();
      },
      abort: () => pending.abort(),
    };
  }
}

describe('copyOffsite when the destination or the backup misbehaves', () => {
  let root: string;
  let remote: string;
  let backup: string;
  let bytes: Buffer;
  eachOffsiteFixture('lb-offsite-faults-', 200_000, (f) => ({ root, remote, backup, bytes } = f));

  const remoteFiles = async (folder = 'database') => (await fs.readdir(join(remote, folder)).catch(() => [] as string[])).sort();

  it('refuses a file that is not a backup name, before touching the destination', async () => {
    const odd = join(root, 'notes.txt');
    await fs.writeFile(odd, 'x');
    await assert.rejects(copyOffsite(odd, new FolderDestination(join(root, 'not-mounted')), { requireEncryption: false }), (err: Error) => {
      assert.ok(err instanceof LifeboatError);
      assert.equal(err.message, '"notes.txt" is not a Lifeboat or runbook backup name, so there is no place for it off-site.');
      assert.equal(err.hint, 'Choose a backup from the backup folder.');
      return true;
    });
  });

  it('says which file is missing when the backup is gone', async () => {
    await fs.rm(backup);
    await assert.rejects(copyOffsite(backup, new FolderDestination(remote), { requireEncryption: false }), (err: Error) => {
      assert.ok(err instanceof LifeboatError);
      assert.match(err.message, new RegExp(`read the backup.*${NAME}`));
      return true;
    });
    assert.deepEqual(await remoteFiles(), []);
  });

  for (const [code, said] of [
    [
      'ENOSPC',
      /^The off-site destination the folder .* is full \(ENOSPC\): could not write the copy of "sms_backup_20260101_020000\.sql\.gz"\. Nothing was left there, and the local backup is unchanged\.$/,
    ],
    ['EDQUOT', /is full \(EDQUOT\): could not write the copy of/],
    [
      'EACCES',
      /^Cannot write the copy of "sms_backup_20260101_020000\.sql\.gz": the folder .* is not writable \(EACCES\)\. The local backup is unchanged\.$/,
    ],
    ['EPERM', /is not writable \(EPERM\)/],
    ['EROFS', /is not writable \(EROFS\)/],
    [
      'EIO',
      /^Cannot write the copy of "sms_backup_20260101_020000\.sql\.gz" at the folder .*: EIO: simulated\. The local backup is unchanged\.$/,
    ],
  ] as const) {
    it(`${code} while sending is said as the destination's, and leaves no partial there`, async () => {
      const dest = new FaultyFolder(remote, { on: /\.gz$/, stream: errno(code) });
      await assert.rejects(copyOffsite(backup, dest, { requireEncryption: false }), (err: Error) => {
        assert.ok(err instanceof LifeboatError);
        assert.match(err.message, said);
        // The local folder's advice would point at the wrong disk.
        assert.doesNotMatch(err.hint ?? '', /lifeboat\.backupDirectory/);
        return true;
      });
      assert.deepEqual(await remoteFiles(), []);
      assert.equal(sha(await fs.readFile(backup)), sha(bytes));
    });
  }

  it("passes on the destination's own error when it cannot even start the write", async () => {
    const own = new LifeboatError('The share is locked by another client.', 'Close it there.');
    const dest = new FaultyFolder(remote, { on: /\.gz$/, write: own });
    await assert.rejects(copyOffsite(backup, dest, { requireEncryption: false }), (err: Error) => err === own);
    assert.deepEqual(await remoteFiles(), []);
  });

  it('a read-back that fails removes the copy and says it could not be read back', async () => {
    const dest = new FaultyFolder(remote, { on: /\.gz$/, readBack: errno('EIO', 'input/output error') });
    await assert.rejects(copyOffsite(backup, dest, { requireEncryption: false }), (err: Error) => {
      assert.match(
        err.message,
        /^Cannot read back the copy of "sms_backup_20260101_020000\.sql\.gz" at the folder .*: input\/output error\. The local backup is unchanged\.$/,
      );
      return true;
    });
    assert.deepEqual(await remoteFiles(), []);
  });

  it('a copy that reads back one byte short is refused and removed', async () => {
    const dest = new FaultyFolder(remote, { on: /\.gz$/, short: true });
    await assert.rejects(
      copyOffsite(backup, dest, { requireEncryption: false }),
      new RegExp(
        `\\(${esc(formatBytesExact(bytes.length - 1))} read back, ${esc(formatBytesExact(bytes.length))} sent, a different sha256\\)\\. It was removed\\.$`,
      ),
    );
    assert.deepEqual(await remoteFiles(), []);
  });

  it('when the manifest cannot be written, the data copy is removed too', async () => {
    const dest = new FaultyFolder(remote, { on: /\.json$/, stream: errno('ENOSPC') });
    await assert.rejects(
      copyOffsite(backup, dest, { requireEncryption: false }),
      /is full \(ENOSPC\): could not write the manifest database\/sms_backup_20260101_020000\.sql\.gz\.json\./,
    );
    assert.deepEqual(await remoteFiles(), []);
  });

  it('when the manifest reads back short, the data copy is removed and the message names the manifest', async () => {
    const dest = new FaultyFolder(remote, { on: /\.json$/, short: true });
    await assert.rejects(copyOffsite(backup, dest, { requireEncryption: false }), (err: Error) => {
      assert.ok(err instanceof LifeboatError);
      assert.match(
        err.message,
        /^The manifest database\/sms_backup_20260101_020000\.sql\.gz\.json at the folder .* did not read back whole\.$/,
      );
      assert.equal(err.hint, 'Check the destination disk or share and retry.');
      return true;
    });
    assert.deepEqual(await remoteFiles(), []);
  });

  it('a cancel while the manifest is written is a cancel, and leaves neither file', async () => {
    const ac = new AbortController();
    const dest = new FaultyFolder(remote, { on: /\.gz$/, afterCommit: () => ac.abort() });
    await assert.rejects(
      copyOffsite(backup, dest, { requireEncryption: false, signal: ac.signal }),
      (err: Error) => err instanceof CancelledError,
    );
    assert.deepEqual(await remoteFiles(), []);
  });

  it('a cancel while the copy is read back is a cancel, and leaves no partial there', async () => {
    const ac = new AbortController();
    await assert.rejects(
      copyOffsite(backup, new FolderDestination(remote), {
        requireEncryption: false,
        signal: ac.signal,
        progress: (u) => {
          if (u.phase.startsWith('Checking the copy') && (u.bytes ?? 0) > 0) ac.abort();
        },
      }),
      (err: Error) => err instanceof CancelledError,
    );
    assert.deepEqual(await remoteFiles(), []);
  });

  it('a manifest left beside the backup by another file is not trusted: the copy gets a manifest of its own', async () => {
    // The manifest next to the backup names another file (copied by hand), so its sha256 says nothing about this one.
    const other = manifestFor('sms_backup_20250101_000000.sql.gz', Buffer.from('other'));
    await fs.writeFile(`${backup}.json`, JSON.stringify(other));
    const dest = new FolderDestination(remote);
    const first = await copyOffsite(backup, dest, { requireEncryption: false });
    assert.equal(first.outcome, 'copied');
    const m = JSON.parse(await fs.readFile(join(remote, 'database', `${NAME}.json`), 'utf8')) as Manifest;
    assert.equal(m.file.name, NAME);
    assert.equal(m.file.sha256, sha(bytes));
    // Made from the name's own time, as the catalog does for an adopted runbook file.
    assert.equal(m.createdAt, '2026-01-01T02:00:00.000Z');
    assert.deepEqual(m.verifications, []);
    // With no trusted sha256 at home there is nothing to compare with: it is sent again.
    assert.equal((await copyOffsite(backup, dest, { requireEncryption: false })).outcome, 'copied');
  });

  describe('what counts as the same copy already there', () => {
    const remoteData = () => join(remote, 'database', NAME);
    const remoteManifest = () => `${remoteData()}.json`;
    beforeEach(async () => {
      await copyOffsite(backup, new FolderDestination(remote), { requireEncryption: false });
    });

    it('a copy there without its manifest is sent again', async () => {
      await fs.rm(remoteManifest());
      assert.equal((await copyOffsite(backup, new FolderDestination(remote), { requireEncryption: false })).outcome, 'copied');
      assert.deepEqual(await remoteFiles(), [NAME, `${NAME}.json`]);
    });

    it('a manifest there that is not JSON, or not a Lifeboat manifest, does not count', async () => {
      for (const text of ['{ not json', JSON.stringify({ hello: 'world' }), JSON.stringify({ formatVersion: 1, file: { bytes: '12' } })]) {
        await fs.writeFile(remoteManifest(), text);
        assert.equal(await readRemoteManifest(new FolderDestination(remote), `database/${NAME}.json`), undefined, text);
        assert.equal((await copyOffsite(backup, new FolderDestination(remote), { requireEncryption: false })).outcome, 'copied', text);
      }
    });

    it('a "manifest" of more than 4 MiB is not read whole, and does not count', async () => {
      await fs.writeFile(remoteManifest(), Buffer.alloc(5 * 1024 * 1024, 0x20));
      assert.equal(await readRemoteManifest(new FolderDestination(remote), `database/${NAME}.json`), undefined);
    });

    it('a copy there of another backup under the same name (another sha256) is replaced', async () => {
      const m = JSON.parse(await fs.readFile(remoteManifest(), 'utf8')) as Manifest;
      const otherSha = sha(Buffer.from('another backup'));
      await fs.writeFile(remoteManifest(), JSON.stringify({ ...m, file: { ...m.file, sha256: otherSha } }));
      assert.equal((await copyOffsite(backup, new FolderDestination(remote), { requireEncryption: false })).outcome, 'copied');
      const after = JSON.parse(await fs.readFile(remoteManifest(), 'utf8')) as Manifest;
      assert.equal(after.file.sha256, sha(bytes));
    });

    it('a manifest there without a sha256 does not count', async () => {
      const m = JSON.parse(await fs.readFile(remoteManifest(), 'utf8')) as Manifest;
      await fs.writeFile(remoteManifest(), JSON.stringify({ ...m, file: { name: m.file.name, bytes: m.file.bytes } }));
      assert.equal((await copyOffsite(backup, new FolderDestination(remote), { requireEncryption: false })).outcome, 'copied');
    });
  });

  describe('the key for encrypting on the way', () => {
    it('an OpenSSL key without a passphrase, or an age key with neither passphrase nor recipients, is refused', async () => {
      for (const key of [{ format: 'openssl' as const }, { format: 'age' as const, recipients: [] }]) {
        await assert.rejects(
          copyOffsite(backup, new FolderDestination(remote), { requireEncryption: true, key }),
          /is not encrypted, and the setting lifeboat\.offsite\.requireEncryption keeps unencrypted backups from leaving this machine\. Nothing was copied\./,
        );
      }
      assert.deepEqual(await remoteFiles(), []);
    });

    it('an OpenSSL passphrase sends an .enc copy that decrypts to the backup', async () => {
      const result = await copyOffsite(backup, new FolderDestination(remote), {
        requireEncryption: true,
        key: { format: 'openssl', passphrase: 'correct horse battery' },
      });
      assert.equal(result.remotePath, `database/${NAME}.enc`);
      assert.equal(result.encrypted, true);
      const m = JSON.parse(await fs.readFile(join(remote, 'database', `${NAME}.enc.json`), 'utf8')) as Manifest;
      assert.equal(m.encryption?.format, 'openssl');
      assert.equal(m.encryption?.plaintextSha256, sha(bytes));
      const opened = await decryptFile(join(remote, 'database', `${NAME}.enc`), { key: { passphrase: 'correct horse battery' } });
      assert.equal(sha(await fs.readFile(opened.path)), sha(bytes));
      await fs.rm(opened.path);
    });

    it('age recipients send an .age copy that opens with the matching identity', async () => {
      const id = generateAgeKeyPair();
      const result = await copyOffsite(backup, new FolderDestination(remote), {
        requireEncryption: true,
        key: { format: 'age', recipients: [id.recipient] },
      });
      assert.equal(result.remotePath, `database/${NAME}.age`);
      const opened = await decryptFile(join(remote, 'database', `${NAME}.age`), { key: { identities: [id.identity] } });
      assert.equal(sha(await fs.readFile(opened.path)), sha(bytes));
      await fs.rm(opened.path);
    });
  });
});
