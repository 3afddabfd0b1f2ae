import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createWriteStream, promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip, gunzipSync, gzipSync } from 'node:zlib';
import * as tar from 'tar-stream';
import { readManifest, writeManifest } from '../../../src/core/store';
import { verifyBackup } from '../../../src/core/verify';
import { encryptFile } from '../../../src/core/encryption';
import type { KeyProvider } from '../../../src/core/encryption';
import type { VolumeManifest } from '../../../src/core/volume';

interface Entry {
  name: string;
  type?: 'file' | 'directory' | 'symlink';
  body?: string;
  linkname?: string;
}

const MTIME = new Date('2024-01-01T00:00:00Z');

/** A volume-shaped .tar.gz (root `./` first, as Docker's archive of /data/. has it), fixed mtimes. */
async function tarGz(path: string, entries: Entry[]): Promise<void> {
  const pack = tar.pack();
  const done = pipeline(pack, createGzip(), createWriteStream(path));
  for (const e of entries) {
    const type = e.type ?? 'file';
    const header = {
      name: e.name,
      type,
      linkname: e.linkname,
      mode: type === 'directory' ? 0o700 : 0o600,
      uid: 999,
      gid: 999,
      mtime: MTIME,
    };
    await new Promise<void>((resolve, reject) => {
      if (type === 'file') pack.entry(header, e.body ?? '', (err) => (err ? reject(err) : resolve()));
      else pack.entry(header, (err) => (err ? reject(err) : resolve()));
    });
  }
  pack.finalize();
  await done;
}

const ENTRIES: Entry[] = [
  { name: './', type: 'directory' },
  { name: './PG_VERSION', body: '15\n' },
  { name: './base/', type: 'directory' },
  { name: './base/1', body: 'x'.repeat(20_000) },
  { name: './base/2', body: 'y'.repeat(3_000) },
  { name: './link', type: 'symlink', linkname: 'base/1' },
];
const DATA_BYTES = 3 + 20_000 + 3_000;

/** The manifest a snapshot of ENTRIES records; counted here by hand, not by the code under test. */
async function manifestFor(path: string, over: Partial<VolumeManifest> = {}): Promise<VolumeManifest> {
  const bytes = await fs.readFile(path);
  return {
    formatVersion: 1,
    kind: 'volume',
    createdAt: MTIME.toISOString(),
    tool: { name: 'lifeboat', version: 'test' },
    source: { volume: 'v' },
    compression: { format: 'gzip', level: 6 },
    file: { name: path.split('/').pop()!, bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') },
    content: { bytes: gunzipSync(bytes).length },
    volumeRoot: { uid: 999, gid: 999, mode: 0o700 },
    entryCount: ENTRIES.length,
    fileCount: 3,
    dataBytes: DATA_BYTES,
    volumeDriver: { driver: 'local', options: {}, labels: {} },
    stoppedContainers: [],
    verifications: [],
    ...over,
  };
}

const putManifest = (path: string, m: VolumeManifest): Promise<void> => writeManifest(path, m);

describe('quick verify of volume snapshots against their manifest', () => {
  let dir: string;
  let good: string;
  let n = 0;
  /** A fresh snapshot name (one per case: the verification is recorded in its manifest). */
  const name = () => join(dir, 'volumes', `volume_v_20240101_0000${String(n++).padStart(2, '0')}.tar.gz`);

  before(async () => {
    dir = await fs.mkdtemp(join(tmpdir(), 'lifeboat-verify-volume-'));
    await fs.mkdir(join(dir, 'volumes'));
    good = name();
    await tarGz(good, ENTRIES);
    await writeManifest(good, await manifestFor(good));
  });

  after(() => fs.rm(dir, { recursive: true, force: true }));

  it('a whole snapshot passes: sha256, gzip and tar to the end marker, entries and bytes as recorded; the result is recorded', async () => {
    const r = await verifyBackup(good, { depth: 'quick' });
    assert.equal(r.ok, true, r.problem);
    assert.ok(r.checks.includes('sha256 matches the manifest'), r.checks.join('; '));
    assert.ok(r.checks.includes('gzip and tar whole, to the end-of-archive marker'));
    assert.ok(
      r.checks.some((c) => /^6 entries, 3 files and .* of data, as the manifest records$/.test(c)),
      r.checks.join('; '),
    );
    const m = (await readManifest(good)).manifest!;
    assert.equal(m.verifications.at(-1)?.ok, true);
  });

  it('a truncated snapshot fails, saying it was truncated (size against the manifest)', async () => {
    const cut = name();
    const full = await fs.readFile(good);
    await fs.writeFile(cut, full.subarray(0, Math.floor(full.length / 2)));
    await writeManifest(cut, await manifestFor(good));
    const r = await verifyBackup(cut, { depth: 'quick' });
    assert.equal(r.ok, false);
    assert.match(r.problem ?? '', /but its manifest records .* it was truncated after it was made/);
    assert.equal((await readManifest(cut)).manifest!.verifications.at(-1)?.ok, false, 'the failure is recorded');
  });

  it('a truncated snapshot without a manifest fails on its gzip stream', async () => {
    const cut = name();
    const full = await fs.readFile(good);
    await fs.writeFile(cut, full.subarray(0, full.length - 40));
    const r = await verifyBackup(cut, { depth: 'quick' });
    assert.equal(r.ok, false);
    assert.match(r.problem ?? '', /is truncated or corrupt \(unexpected end of file\)\.$/);
  });

  it('a tar cut at an entry boundary inside a valid gzip fails: no end-of-archive marker', async () => {
    const cut = name();
    const tarBytes = gunzipSync(await fs.readFile(good));
    // The root header plus PG_VERSION's header and one data block: an entry boundary.
    await fs.writeFile(cut, gzipSync(tarBytes.subarray(0, 512 * 3)));
    const r = await verifyBackup(cut, { depth: 'quick' });
    assert.equal(r.ok, false);
    assert.match(r.problem ?? '', /end-of-archive marker/);
  });

  it("an altered byte fails against the manifest's sha256", async () => {
    const bad = name();
    const tarBytes = Buffer.from(gunzipSync(await fs.readFile(good)));
    // Inside ./base/1's data: the archive still reads whole, only the checksum can tell.
    tarBytes[512 * 5 + 100] = 'z'.charCodeAt(0);
    await fs.writeFile(bad, gzipSync(tarBytes));
    // Same size as the good one is not guaranteed; keep the size recorded equal to isolate the sha256.
    const m = await manifestFor(good);
    m.file.bytes = (await fs.stat(bad)).size;
    await writeManifest(bad, m);
    const r = await verifyBackup(bad, { depth: 'quick' });
    assert.equal(r.ok, false);
    assert.match(r.problem ?? '', /does not match its manifest \(sha256 differs\)/);
  });

  it('a rewritten archive with a matching checksum but an entry missing fails, naming the counts', async () => {
    const bad = name();
    await tarGz(
      bad,
      ENTRIES.filter((e) => e.name !== './base/2'),
    );
    // Someone re-made the archive and its checksum, but not the counts.
    const honest = await manifestFor(bad);
    await putManifest(bad, {
      ...honest,
      entryCount: ENTRIES.length,
      fileCount: 3,
      dataBytes: DATA_BYTES,
      content: (await manifestFor(good)).content,
    });
    const r = await verifyBackup(bad, { depth: 'quick' });
    assert.equal(r.ok, false);
    assert.match(
      r.problem ?? '',
      /does not hold what its manifest records: 5 entries instead of 6, 2 regular files instead of 3, 20,003 bytes of file data instead of 23,003/,
    );
  });

  it('a file whose size changed (same entries) fails on the bytes', async () => {
    const bad = name();
    await tarGz(
      bad,
      ENTRIES.map((e) => (e.name === './base/2' ? { ...e, body: 'y'.repeat(2_999) } : e)),
    );
    await putManifest(bad, { ...(await manifestFor(bad)), dataBytes: DATA_BYTES });
    const r = await verifyBackup(bad, { depth: 'quick' });
    assert.equal(r.ok, false);
    assert.match(r.problem ?? '', /23,002 bytes of file data instead of 23,003/);
  });

  it('an entry a restore would refuse fails the verification (contract 9)', async () => {
    const bad = name();
    await tarGz(bad, [...ENTRIES, { name: './escape', type: 'symlink', linkname: '../../etc' }]);
    await writeManifest(bad, await manifestFor(bad, { entryCount: ENTRIES.length + 1 }));
    const r = await verifyBackup(bad, { depth: 'quick' });
    assert.equal(r.ok, false);
    assert.match(r.problem ?? '', /holds an entry a restore would refuse: "\.\/escape"/);
  });

  it('a runbook snapshot without a manifest passes on integrity, and says nothing was compared', async () => {
    const plain = name();
    await tarGz(plain, ENTRIES);
    const r = await verifyBackup(plain, { depth: 'quick' });
    assert.equal(r.ok, true, r.problem);
    assert.ok(r.notes.includes('no manifest checksum to compare'));
    assert.ok(
      r.notes.some((x) => /6 entries, 3 files, .* \(no manifest counts to compare\)/.test(x)),
      r.notes.join('; '),
    );
  });
  it('a snapshot grown since it was made says it was changed, not truncated', async () => {
    const grown = name();
    await fs.writeFile(grown, Buffer.concat([await fs.readFile(good), Buffer.alloc(512)]));
    await writeManifest(grown, await manifestFor(good));
    const r = await verifyBackup(grown, { depth: 'quick' });
    assert.equal(r.ok, false);
    assert.match(r.problem ?? '', /but its manifest records .*: it was changed after it was made\.$/);
  });

  it('an encrypted snapshot verifies through its decryption, against the plaintext sha256, writing nothing decrypted', async () => {
    const plain = name();
    await tarGz(plain, ENTRIES);
    await writeManifest(plain, await manifestFor(plain));
    const sealed = (await encryptFile(plain, { format: 'age', passphrase: 'correct horse', workFactor: 2, removePlaintext: true })).path;
    const before = (await fs.readdir(join(dir, 'volumes'))).sort();
    const keys: KeyProvider = { key: async (_file, _info, failed) => (failed ? Promise.reject(failed) : { passphrase: 'correct horse' }) };
    const r = await verifyBackup(sealed, { depth: 'quick', keys });
    assert.equal(r.ok, true, r.problem);
    assert.ok(r.checks.includes('sha256 of the decrypted content matches the manifest'), r.checks.join('; '));
    assert.ok(
      r.checks.some((c) => /^decrypts \(age; nothing decrypted written to disk\)$/.test(c)),
      r.checks.join('; '),
    );
    assert.deepEqual((await fs.readdir(join(dir, 'volumes'))).sort(), before);
  });

  it('a result that cannot be recorded (the manifest name is a folder) is a note; the verification stands', async () => {
    const blocked = name();
    await fs.copyFile(good, blocked);
    await fs.mkdir(`${blocked}.json`);
    const r = await verifyBackup(blocked, { depth: 'quick' });
    assert.equal(r.ok, true, r.problem);
    assert.ok(
      r.notes.some((x) => x.startsWith('the result could not be recorded: ')),
      r.notes.join('; '),
    );
    assert.ok((await fs.stat(`${blocked}.json`)).isDirectory());
  });
});
