import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CancelledError, LifeboatError } from '../../../src/core/common';
import { TarTruncated, VolumeTarScan, checkVolumeArchive, explainArchive } from '../../../src/core/volume';
import { END, blocks, packTar, rawHeader, writeTarGz } from '../../support/hostileTar';

/** Runs `tar` through a scan in chunks of `chunk` bytes; resolves with what passed through. */
async function scanThrough(scan: VolumeTarScan, tar: Buffer, chunk = 700): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (let at = 0; at < tar.length; at += chunk) parts.push(tar.subarray(at, at + chunk));
  const out: Buffer[] = [];
  await pipeline(Readable.from(parts), scan, new Writable({ write: (c: Buffer, _e, done) => (out.push(c), done()) }));
  return Buffer.concat(out);
}

describe('VolumeTarScan and checkVolumeArchive', () => {
  let root: string;
  beforeEach(async () => {
    root = await fs.mkdtemp(join(tmpdir(), 'lb-volscan-'));
  });
  afterEach(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  it('passes the tar through unchanged and counts entries, files, bytes, the root and progress', async () => {
    const tar = await packTar([
      { name: './', type: 'directory', uid: 999, gid: 998, mode: 0o40700 },
      { name: 'pgdata/', type: 'directory' },
      { name: 'pgdata/PG_VERSION', body: '15\n' },
      { name: 'pgdata/big', body: Buffer.alloc(3000, 1) },
      { name: 'pgdata/link', type: 'symlink', linkname: 'PG_VERSION' },
    ]);
    const seen: number[] = [];
    const scan = new VolumeTarScan({ guard: 'refuse', onBytes: (n) => seen.push(n) });
    assert.deepEqual(await scanThrough(scan, tar), tar);
    assert.deepEqual(scan.facts, {
      entries: 5,
      files: 2,
      dataBytes: 3003,
      tarBytes: tar.length,
      topLevel: 1,
      root: { uid: 999, gid: 998, mode: 0o700 },
    });
    assert.equal(seen.at(-1), tar.length);
    assert.ok(
      seen.every((n, i) => i === 0 || n > seen[i - 1]),
      'progress only grows',
    );
  });

  it('with guard "note", records the first unsafe entry and still passes the whole tar (a snapshot keeps such links)', async () => {
    const tar = await packTar([
      { name: 'etc', type: 'symlink', linkname: '/etc' },
      { name: 'up', type: 'symlink', linkname: '../x' },
      { name: 'f', body: 'x' },
    ]);
    const scan = new VolumeTarScan({ guard: 'note' });
    assert.deepEqual(await scanThrough(scan, tar), tar);
    assert.match(scan.facts.unsafe ?? '', /^"etc" is a symbolic link to "\/etc", outside the folder$/);
    assert.equal(scan.facts.entries, 3);
  });

  it('with guard "refuse", fails the stream at the first unsafe entry; with no guard, lets it through', async () => {
    const tar = await packTar([
      { name: 'etc', type: 'symlink', linkname: '/etc' },
      { name: 'f', body: 'x' },
    ]);
    await assert.rejects(
      scanThrough(new VolumeTarScan({ guard: 'refuse' }), tar),
      /"etc" is a symbolic link to "\/etc", outside the folder/,
    );
    const open = new VolumeTarScan();
    assert.deepEqual(await scanThrough(open, tar), tar);
    assert.equal(open.facts.unsafe, undefined);
  });

  it('counts the entries inside folders an interrupted restore left at the top', async () => {
    const tar = await packTar([
      { name: './.lifeboat-restore-abc123/', type: 'directory' },
      { name: './.lifeboat-restore-abc123/a', body: 'a' },
      { name: './.lifeboat-restore-abc123/b', body: 'b' },
      { name: '.lifeboat-safety-Z9', type: 'directory' },
      { name: 'data', body: 'd' },
    ]);
    const scan = new VolumeTarScan();
    await scanThrough(scan, tar);
    assert.deepEqual(scan.facts.leftovers, { '.lifeboat-restore-abc123': 2, '.lifeboat-safety-Z9': 0 });
    assert.equal(scan.facts.topLevel, 1, 'only "data" stands at the top besides the restore\'s folders');
  });

  it('counts the entries at the top of the volume, not the root and not deeper ones', async () => {
    const tar = await packTar([
      { name: './', type: 'directory' },
      { name: './base/', type: 'directory' },
      { name: './base/1', body: '1' },
      { name: './PG_VERSION', body: '15' },
      { name: 'global', type: 'directory' },
    ]);
    const scan = new VolumeTarScan();
    await scanThrough(scan, tar);
    assert.equal(scan.facts.topLevel, 3);
    assert.equal(scan.facts.leftovers, undefined);
  });

  it('fails a tar cut at an entry boundary (no end-of-archive blocks), and one cut inside an entry', async () => {
    const whole = await packTar([{ name: 'f', body: Buffer.alloc(2000, 2) }]);
    const atBoundary = whole.subarray(0, 512 + 2048);
    await assert.rejects(
      scanThrough(new VolumeTarScan(), atBoundary),
      (err: Error) => err instanceof TarTruncated && /end-of-archive marker/.test(err.message),
    );
    await assert.rejects(scanThrough(new VolumeTarScan(), whole.subarray(0, 1000)), /Unexpected end of data/);
  });

  it("fails on a header whose checksum is wrong, with the parser's reason", async () => {
    const bad = Buffer.concat([rawHeader({ name: 'f', size: 1 }), blocks('x'), Buffer.alloc(512, 0x41), END]);
    await assert.rejects(scanThrough(new VolumeTarScan(), bad, 512), /Invalid tar header/);
  });

  it('checkVolumeArchive explains a missing file, a corrupt gzip, and an unsafe entry for restore and for verify', async () => {
    await assert.rejects(
      checkVolumeArchive(join(root, 'none.tar.gz')),
      (err: Error) => err instanceof LifeboatError && /read the snapshot/.test(err.message) && /none\.tar\.gz/.test(err.message),
    );
    const notGzip = join(root, 'plain.tar.gz');
    await fs.writeFile(notGzip, 'not a gzip file at all');
    await assert.rejects(checkVolumeArchive(notGzip, { purpose: 'verify' }), (err: Error) => {
      assert.match(err.message, /^The snapshot .*plain\.tar\.gz is truncated or corrupt \(incorrect header check\)\.$/);
      assert.match((err as LifeboatError).hint ?? '', /Verify it against its manifest/);
      return true;
    });
    await assert.rejects(checkVolumeArchive(notGzip), /truncated or corrupt \(incorrect header check\)\. Nothing was changed\./);
    const unsafe = await writeTarGz(root, 'unsafe.tar.gz', await packTar([{ name: '../x', body: 'x' }]));
    await assert.rejects(
      checkVolumeArchive(unsafe),
      /^LifeboatError: Refused to restore .*unsafe\.tar\.gz: the entry "\.\.\/x" has a "\.\." component.*Nothing was changed\.$/,
    );
    await assert.rejects(checkVolumeArchive(unsafe, { purpose: 'verify' }), /holds an entry a restore would refuse: "\.\.\/x"/);
  });

  it("checkVolumeArchive reads through `open` when given (an encrypted snapshot's plaintext), and hashes what it read", async () => {
    const tar = await packTar([{ name: 'f', body: 'hello' }]);
    const path = await writeTarGz(root, 'real.tar.gz', tar);
    const bytes = await fs.readFile(path);
    const placeholder = join(root, 'placeholder.enc');
    await fs.writeFile(placeholder, 'ciphertext stands here');
    const facts = await checkVolumeArchive(placeholder, { open: () => Readable.from([bytes]) });
    assert.equal(facts.files, 1);
    assert.equal(facts.dataBytes, 5);
    assert.equal(facts.fileBytes, bytes.length);
  });

  it('checkVolumeArchive stops with CancelledError when cancelled before or during the read', async () => {
    const path = await writeTarGz(root, 'big.tar.gz', await packTar([{ name: 'f', body: Buffer.alloc(4 << 20, 3) }]));
    const before = new AbortController();
    before.abort();
    await assert.rejects(checkVolumeArchive(path, { signal: before.signal }), CancelledError);
    const during = new AbortController();
    await assert.rejects(checkVolumeArchive(path, { signal: during.signal, progress: () => during.abort() }), CancelledError);
  });

  it('explainArchive keeps a LifeboatError, names a file system error, and calls anything else corrupt', () => {
    const own = new LifeboatError('already explained.');
    assert.equal(explainArchive(own, '/b/s.tar.gz'), own);
    const eacces = Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
    assert.match(explainArchive(eacces, '/b/s.tar.gz').message, /\/b\/s\.tar\.gz/);
    assert.doesNotMatch(explainArchive(eacces, '/b/s.tar.gz').message, /truncated or corrupt/);
    const premature = Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
    assert.match(explainArchive(premature, '/b/s.tar.gz').message, /truncated or corrupt \(Premature close\)/);
    assert.match(
      explainArchive('a string', '/b/s.tar.gz', 'verify').message,
      /^The snapshot \/b\/s\.tar\.gz is truncated or corrupt \(a string\)\.$/,
    );
  });
});
