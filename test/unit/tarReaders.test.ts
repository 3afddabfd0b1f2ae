import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openBackupSource } from '../../src/core/backupSource';
import { LifeboatError } from '../../src/core/errors';
import { readArchiveEntries, safeExtract } from '../../src/core/safeExtract';
import { checkTarGz } from '../../src/core/tarCheck';
import { verifyBackup } from '../../src/core/verify';
import { checkVolumeArchive } from '../../src/core/volumeTarScan';
import { END, Outcome, blocks, packTar, rawHeader, settleWithin, writeTarGz } from './helpers/hostileTar';

/** Long enough for any of these small archives, short enough that a hang fails fast. */
const SETTLE_MS = 3000;

const READERS = ['checkTarGz', 'checkVolumeArchive', 'readArchiveEntries', 'safeExtract'] as const;
type Reader = (typeof READERS)[number];

/** Runs every reader of archives on `path`; safeExtract stages under `root` and must clean up. */
async function readAll(path: string, root: string): Promise<Record<Reader, Outcome>> {
  const staging = join(root, `staging-${Math.random().toString(36).slice(2)}`);
  const source = await openBackupSource(path);
  const out = {
    checkTarGz: await settleWithin('checkTarGz', checkTarGz(source), SETTLE_MS),
    checkVolumeArchive: await settleWithin('checkVolumeArchive', checkVolumeArchive(path, { purpose: 'verify' }), SETTLE_MS),
    readArchiveEntries: await settleWithin('readArchiveEntries', readArchiveEntries(path), SETTLE_MS),
    safeExtract: await settleWithin('safeExtract', safeExtract(path, { stagingDir: staging }), SETTLE_MS),
  };
  if (out.safeExtract.settled === 'rejected') assert.equal(existsSync(staging), false, 'a refused extraction removes its staging folder');
  return out;
}

function assertRefused(outcome: Outcome, reader: string, message: RegExp): void {
  assert.equal(outcome.settled, 'rejected', `${reader} accepted it`);
  if (outcome.settled !== 'rejected') return;
  assert.ok(outcome.error instanceof LifeboatError, `${reader}: ${String(outcome.error)}`);
  assert.match(outcome.error.message, message, reader);
  assert.ok(outcome.error.hint, `${reader} gives a hint`);
}

describe('tar readers on hostile archives', () => {
  let root: string;
  beforeEach(async () => {
    root = await fs.mkdtemp(join(tmpdir(), 'lb-tar-readers-'));
  });
  afterEach(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  it('every reader settles on a folder whose header declares a size, and the guarded ones name it', async () => {
    const path = await writeTarGz(root, 'dir-size.tar.gz', Buffer.concat([
      rawHeader({ name: 'd/', typeflag: '5', size: 1024 }),
      blocks(Buffer.alloc(1024)),
      rawHeader({ name: 'd/x', size: 2 }),
      blocks('hi'),
      END,
    ]));
    const out = await readAll(path, root);
    for (const reader of READERS) assertRefused(out[reader], reader, /"d\/" is a folder that declares 1024 bytes/);
  });

  it('readArchiveEntries reads files of 16 KiB and more (the hash is drained)', async () => {
    const big = Buffer.alloc(100_000, 7);
    const edge = Buffer.alloc(16_384, 1);
    const path = await writeTarGz(root, 'big.tar.gz', await packTar([{ name: 'edge', body: edge }, { name: 'big', body: big }]));
    const listed = await settleWithin('readArchiveEntries', readArchiveEntries(path), SETTLE_MS);
    assert.equal(listed.settled, 'resolved', listed.settled === 'rejected' ? String(listed.error) : '');
    const { entries } = await readArchiveEntries(path);
    const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    assert.deepEqual(entries.map((e) => [e.path, e.size, e.sha256]), [['edge', 16_384, sha(edge)], ['big', 100_000, sha(big)]]);
  });

  const restoreRefuses: [string, () => Promise<Buffer>, RegExp][] = [
    ['a ".." path', () => packTar([{ name: '../x', body: 'x' }]), /"\.\.\/x" has a "\.\." component/],
    ['an absolute path', () => packTar([{ name: '/tmp/x', body: 'x' }]), /"\/tmp\/x" has an absolute path/],
    [
      'a symlink to /etc and a file through it',
      () => packTar([{ name: 'l', type: 'symlink', linkname: '/etc' }, { name: 'l/x', body: 'x' }]),
      /"l" is a symbolic link to "\/etc", outside the folder/,
    ],
    ['a tar without its end-of-archive blocks', async () => (await packTar([{ name: 'a', body: 'x' }])).subarray(0, 1024), /without the end-of-archive marker/],
    ['a zero-byte tar', async () => Buffer.alloc(0), /without the end-of-archive marker/],
  ];
  for (const [what, build, message] of restoreRefuses) {
    it(`quick verify of a config archive fails, naming why, on ${what}, as restore does`, async () => {
      const path = await writeTarGz(root, 'config_20240102_030405.tar.gz', await build());
      const out = await readAll(path, root);
      for (const reader of READERS) assertRefused(out[reader], reader, message);
      const verified = await verifyBackup(path, { depth: 'quick' });
      assert.equal(verified.ok, false, verified.checks.join('; '));
      assert.match(verified.problem ?? '', message);
    });
  }
});
