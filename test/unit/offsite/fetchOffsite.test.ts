import * as assert from 'node:assert/strict';
import { existsSync, promises as fs } from 'node:fs';
import { basename, join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { CancelledError, LifeboatError } from '../../../src/core/common';
import { readManifest, writeManifest } from '../../../src/core/store';
import { FolderDestination, copyOffsite, fetchOffsite, offsiteCopies, readOffsiteState, remoteBackups } from '../../../src/core/offsite';
import { BACKUP_NAME as NAME, eachOffsiteFixture, manifestFor, sha256Hex as sha } from '../../support/offsiteFixture';

const RUNBOOK = 'sms_backup_20260102_020000.sql.gz';

describe('fetchOffsite: an off-site backup back into the local folder', () => {
  let backups: string;
  let nas: string;
  let data: Buffer;
  let destination: FolderDestination;
  let root: string;

  const localPath = (name = NAME) => join(backups, 'database', name);
  const leftovers = async () =>
    (await fs.readdir(join(backups, 'database')).catch(() => [] as string[])).filter((n) => n.includes('partial'));

  eachOffsiteFixture('lb-fetch-', 1_500_000, (f) => ({ root, backups, remote: nas, bytes: data } = f));
  beforeEach(async () => {
    destination = new FolderDestination(nas);
    await copyOffsite(localPath(), destination, { requireEncryption: false });
  });

  it('after the local disk is lost, downloads the copy privately, checked against its manifest, with the manifest after it', async () => {
    await fs.rm(join(backups, 'database'), { recursive: true });
    const phases = new Set<string>();
    const result = await fetchOffsite(destination, `database/${NAME}`, backups, {
      progress: (u) => {
        if (u.bytes) {
          assert.equal(existsSync(localPath()), false, 'the final name appeared before the download was checked');
          phases.add(u.phase);
        }
      },
    });
    assert.deepEqual(
      { outcome: result.outcome, checked: result.checked, path: result.path, sha256: result.sha256 },
      { outcome: 'downloaded', checked: 'manifest', path: localPath(), sha256: sha(data) },
    );
    assert.ok(
      [...phases].some((p) => p.startsWith(`Downloading "${NAME}"`)),
      [...phases].join(', '),
    );
    assert.equal(sha(await fs.readFile(localPath())), sha(data));
    assert.equal((await fs.stat(localPath())).mode & 0o777, 0o600);
    assert.equal((await fs.stat(join(backups, 'database'))).mode & 0o777, 0o700);
    const { manifest } = await readManifest(localPath());
    assert.equal(manifest?.file.sha256, sha(data));
    assert.deepEqual(await leftovers(), []);
  });

  it('reports the same local file as present and downloads nothing', async () => {
    const before = (await fs.stat(localPath())).mtimeMs;
    const result = await fetchOffsite(destination, `database/${NAME}`, backups);
    assert.equal(result.outcome, 'present');
    assert.equal((await fs.stat(localPath())).mtimeMs, before);
  });

  it('never replaces a different local file of the same name', async () => {
    const other = gzipSync('-- another dump\n');
    await fs.writeFile(localPath(), other);
    await assert.rejects(
      fetchOffsite(destination, `database/${NAME}`, backups),
      /A different "sms_backup_20260101_020000\.sql\.gz" is already in the backup folder/,
    );
    assert.equal(sha(await fs.readFile(localPath())), sha(other));
    assert.deepEqual(await leftovers(), []);
  });

  it('refuses a damaged copy (one byte changed off-site) and keeps nothing', async () => {
    await fs.rm(localPath());
    const remote = join(nas, 'database', NAME);
    const bytes = await fs.readFile(remote);
    bytes[bytes.length >> 1] ^= 0xff;
    await fs.writeFile(remote, bytes);
    await assert.rejects(
      fetchOffsite(destination, `database/${NAME}`, backups),
      /does not match its manifest \(same size, different sha256\).*Nothing was kept on this machine\./,
    );
    assert.equal(existsSync(localPath()), false);
    assert.deepEqual(await leftovers(), []);
  });

  it('lists and downloads a file the runbook put there without a manifest; it does not count as a checked copy', async () => {
    // What `aws s3 cp "$LATEST_BACKUP" …/database/` leaves: the file alone.
    const runbook = gzipSync('-- PostgreSQL database dump\n-- PostgreSQL database dump complete\n');
    await fs.writeFile(join(nas, 'database', RUNBOOK), runbook);
    const listed = await remoteBackups(destination);
    assert.deepEqual(
      listed.map((b) => [b.fileName, b.kind, b.hasManifest]),
      [
        [RUNBOOK, 'database', false],
        [NAME, 'database', true],
      ],
    );
    assert.deepEqual([...(await offsiteCopies(destination)).keys()], [NAME]);
    assert.equal((await readOffsiteState(destination)).backups.length, 2);
    const result = await fetchOffsite(destination, `database/${RUNBOOK}`, backups);
    assert.deepEqual([result.outcome, result.checked], ['downloaded', 'none']);
    assert.equal(sha(await fs.readFile(localPath(RUNBOOK))), sha(runbook));
    assert.equal(existsSync(`${localPath(RUNBOOK)}.json`), false, 'no manifest is made up for an unchecked file');
  });

  it('a cancel mid-download leaves no file and no partial', async () => {
    await fs.rm(localPath());
    const controller = new AbortController();
    await assert.rejects(
      fetchOffsite(destination, `database/${NAME}`, backups, {
        signal: controller.signal,
        progress: (u) => {
          if ((u.bytes ?? 0) > 0) controller.abort();
        },
      }),
      CancelledError,
    );
    assert.equal(existsSync(localPath()), false);
    assert.deepEqual(await leftovers(), []);
  });

  it('says so when the copy is gone or is not a backup name', async () => {
    await assert.rejects(
      fetchOffsite(destination, 'database/sms_backup_20200101_000000.sql.gz', backups),
      /is not at the folder .*any more/,
    );
    await assert.rejects(
      fetchOffsite(destination, 'database/notes.txt', backups),
      /"notes\.txt" at .* is not a Lifeboat or runbook backup name/,
    );
  });

  it('a copy whose size differs from its manifest says both sizes, and keeps nothing', async () => {
    await fs.rm(localPath());
    await fs.appendFile(join(nas, 'database', NAME), Buffer.from([0]));
    await assert.rejects(
      fetchOffsite(destination, `database/${NAME}`, backups),
      /does not match its manifest \(.* bytes\), the manifest says .* bytes\)\)/,
    );
    assert.equal(existsSync(localPath()), false);
    assert.deepEqual(await leftovers(), []);
  });

  it('a connection lost mid-download is a clear error, and nothing is kept', async () => {
    await fs.rm(localPath());
    const failing = Object.create(destination) as FolderDestination;
    failing.read = async (path: string) => {
      if (path.endsWith('.json')) return destination.read(path);
      let sent = false;
      return new Readable({
        read() {
          if (!sent) {
            sent = true;
            this.push(Buffer.alloc(65536, 1));
          } else this.destroy(new Error('the connection to the server was lost'));
        },
      });
    };
    await assert.rejects(
      fetchOffsite(failing, `database/${NAME}`, backups),
      /^LifeboatError: Cannot download "database\/sms_backup_20260101_020000\.sql\.gz" from the folder .*: the connection to the server was lost\.$/,
    );
    assert.equal(existsSync(localPath()), false);
    assert.deepEqual(await leftovers(), []);
  });

  it("a remote read that fails with an error code (a reset, an EIO) is the destination's failure, not this disk's", async () => {
    await fs.rm(localPath());
    const failing = Object.create(destination) as FolderDestination;
    failing.read = async (path: string) => {
      if (path.endsWith('.json')) return destination.read(path);
      let sent = false;
      return new Readable({
        read() {
          if (sent) return void this.destroy(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
          sent = true;
          this.push(Buffer.alloc(65536, 1));
        },
      });
    };
    await assert.rejects(fetchOffsite(failing, `database/${NAME}`, backups), (err: Error & { hint?: string }) => {
      assert.match(err.message, /^Cannot download "database\/sms_backup_20260101_020000\.sql\.gz" from the folder .*: read ECONNRESET\.$/);
      assert.doesNotMatch(err.message, /write the download/);
      assert.match(err.hint ?? '', /reachable/);
      return true;
    });
    assert.equal(existsSync(localPath()), false);
    assert.deepEqual(await leftovers(), []);
  });

  describe('a manifest there that cannot be read is a failed download, with its cause, not a copy without one', () => {
    // Real read errors from the kernel (the tests run as root, so permissions would not stop a read).
    const cases: [string, (manifest: string) => Promise<void>, RegExp, RegExp][] = [
      // A link that loops: the folder destination's stat fails with ELOOP, and says so with its own advice.
      [
        'a link that points at itself',
        (m) => fs.symlink(basename(m), m),
        /could not be read\. Cannot read the off-site folder \(.*\.json\): ELOOP/,
        /lifeboat\.offsite\.destination/,
      ],
      // A regular file to stat, whose first read fails: address 0 is never mapped.
      [
        'a file whose read fails with EIO',
        (m) => fs.symlink('/proc/self/mem', m),
        /could not be read \(EIO: i\/o error, read\)\.$/,
        /^Check that the destination is reachable and retry; nothing was kept on this machine\.$/,
      ],
    ];
    for (const [what, make, said, hint] of cases) {
      it(what, async () => {
        await fs.rm(localPath());
        const manifest = join(nas, 'database', `${NAME}.json`);
        await fs.rm(manifest);
        await make(manifest);
        await assert.rejects(fetchOffsite(destination, `database/${NAME}`, backups), (err: Error) => {
          assert.ok(err instanceof LifeboatError, String(err));
          assert.match(
            err.message,
            /^Cannot download "database\/sms_backup_20260101_020000\.sql\.gz" from the folder .*: its manifest "database\/sms_backup_20260101_020000\.sql\.gz\.json" could not be read/,
          );
          assert.match(err.message, said);
          assert.match(err.hint ?? '', hint);
          assert.ok(err.cause instanceof Error && err.message.includes(err.cause.message.replace(/\.$/, '')), 'the cause is kept');
          return true;
        });
        assert.equal(existsSync(localPath()), false);
        assert.deepEqual(await leftovers(), []);
      });
    }
  });

  it('a runbook upload (no manifest) already here with the same size is present; a different one is refused', async () => {
    const runbook = gzipSync('-- PostgreSQL database dump\n');
    await fs.writeFile(join(nas, 'database', RUNBOOK), runbook);
    await fs.writeFile(localPath(RUNBOOK), runbook);
    const same = await fetchOffsite(destination, `database/${RUNBOOK}`, backups);
    assert.deepEqual([same.outcome, same.checked], ['present', 'none']);
    await fs.writeFile(localPath(RUNBOOK), Buffer.concat([runbook, Buffer.from('x')]));
    await assert.rejects(
      fetchOffsite(destination, `database/${RUNBOOK}`, backups),
      /A different "sms_backup_20260102_020000\.sql\.gz" is already in the backup folder/,
    );
  });

  it('a runbook upload here with the same size counts as present only when the local manifest agrees with the local file', async () => {
    const runbook = gzipSync('-- PostgreSQL database dump\n');
    await fs.writeFile(join(nas, 'database', RUNBOOK), runbook);
    await fs.writeFile(localPath(RUNBOOK), runbook);
    await writeManifest(localPath(RUNBOOK), manifestFor(RUNBOOK, runbook));
    const same = await fetchOffsite(destination, `database/${RUNBOOK}`, backups);
    assert.deepEqual([same.outcome, same.checked, same.sha256], ['present', 'none', sha(runbook)]);

    // Same size, other bytes: the local manifest shows the local file is not what it recorded.
    const other = Buffer.from(runbook);
    other[other.length - 1] ^= 0xff;
    await fs.writeFile(localPath(RUNBOOK), other);
    await assert.rejects(
      fetchOffsite(destination, `database/${RUNBOOK}`, backups),
      /^LifeboatError: A different "sms_backup_20260102_020000\.sql\.gz" is already in the backup folder, so the off-site copy was not downloaded over it\.$/,
    );
    assert.ok((await fs.readFile(localPath(RUNBOOK))).equals(other), 'the local file is left as it was');
    assert.deepEqual(await leftovers(), []);
  });

  it('a destination folder that is not there is a problem of the listing, with no copies', async () => {
    const state = await readOffsiteState(new FolderDestination(join(root, 'unmounted')));
    assert.deepEqual(state.backups, []);
    assert.equal(state.copies.size, 0);
    assert.equal(state.problem, `The off-site folder ${join(root, 'unmounted')} does not exist.`);
    assert.equal(state.where, `the folder ${join(root, 'unmounted')}`);
  });

  it('a local name taken by a folder is reported by its path, not downloaded over', async () => {
    await fs.rm(localPath());
    await fs.mkdir(localPath());
    await assert.rejects(fetchOffsite(destination, `database/${NAME}`, backups), (err: Error) =>
      /sms_backup_20260101_020000\.sql\.gz/.test(err.message),
    );
    assert.ok((await fs.stat(localPath())).isDirectory());
  });
});
