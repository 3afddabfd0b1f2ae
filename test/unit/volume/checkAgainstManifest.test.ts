import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { plainSource } from '../../../src/core/encryption';
import { checkAgainstManifest, checkVolumeArchive } from '../../../src/core/volume';
import type { VolumeManifest } from '../../../src/core/volume';

/** A tar header block for `name` (regular file or folder), with its checksum. */
function tarHeader(name: string, size: number, type: '0' | '5'): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0);
  h.write(type === '5' ? '0000755\0' : '0000644\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
  h.write('00000000000\0', 136);
  h.write('        ', 148);
  h.write(type, 156);
  h.write('ustar\0', 257);
  h.write('00', 263);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return h;
}

/**
 * The last check before a volume restore touches anything: the snapshot read whole must be the
 * one its manifest describes, and must hold something. Real files in a temp folder, read by the
 * same checkVolumeArchive the restore uses.
 */
describe('checkAgainstManifest: a snapshot that is not what its manifest says, or holds nothing', () => {
  let root: string;
  let good: string;
  before(async () => {
    root = await fs.mkdtemp(join(tmpdir(), 'lb-vol-manifest-'));
    good = join(root, 'volume_v_20260101_000000.tar.gz');
    const data = Buffer.from('hello\n');
    const tar = Buffer.concat([
      tarHeader('./', 0, '5'),
      tarHeader('./f', data.length, '0'),
      data,
      Buffer.alloc(512 - data.length),
      Buffer.alloc(1024),
    ]);
    await fs.writeFile(good, gzipSync(tar));
  });
  after(() => fs.rm(root, { recursive: true, force: true }));

  const manifestOf = (sha256: string, bytes: number, plaintextSha256?: string) =>
    ({
      kind: 'volume',
      file: { sha256, bytes },
      ...(plaintextSha256 ? { encryption: { plaintextSha256 } } : {}),
    }) as unknown as VolumeManifest;

  it('passes the snapshot its manifest describes, and one without a manifest', async () => {
    const checked = await checkVolumeArchive(good);
    assert.equal(checked.entries, 2);
    const source = await plainSource(good);
    checkAgainstManifest(good, manifestOf(checked.fileSha256, checked.fileBytes), checked, source);
    checkAgainstManifest(good, undefined, checked, source);
  });

  it('refuses a snapshot whose sha256 or size differs from its manifest, before anything is changed', async () => {
    const checked = await checkVolumeArchive(good);
    const source = await plainSource(good);
    const expected = {
      message:
        '"volume_v_20260101_000000.tar.gz" does not match its manifest (sha256 or size differs): it changed after it was made. Nothing was changed.',
      hint: 'Choose another snapshot; this one is damaged or was replaced.',
    };
    assert.throws(() => checkAgainstManifest(good, manifestOf('0'.repeat(64), checked.fileBytes), checked, source), expected);
    assert.throws(() => checkAgainstManifest(good, manifestOf(checked.fileSha256, checked.fileBytes + 1), checked, source), expected);
  });

  it("compares an encrypted snapshot's plaintext sha256, not the file's", async () => {
    const checked = await checkVolumeArchive(good);
    const encrypted = { ...(await plainSource(good)), encryption: 'age' as const };
    // The encrypted file's own sha256 differs from the plaintext's; only the plaintext's counts.
    checkAgainstManifest(good, manifestOf('f'.repeat(64), 1, checked.fileSha256), checked, encrypted);
    assert.throws(
      () => checkAgainstManifest(good, manifestOf('f'.repeat(64), 1, '0'.repeat(64)), checked, encrypted),
      /does not match its manifest \(sha256 or size differs\)/,
    );
  });

  it('refuses a valid gzip of an empty tar archive: it is not a volume snapshot', async () => {
    const empty = join(root, 'volume_v_20260101_000001.tar.gz');
    await fs.writeFile(empty, gzipSync(Buffer.alloc(1024)));
    const checked = await checkVolumeArchive(empty);
    assert.equal(checked.entries, 0);
    const source = await plainSource(empty);
    assert.throws(() => checkAgainstManifest(empty, undefined, checked, source), {
      message: '"volume_v_20260101_000001.tar.gz" holds no entries at all; it is not a volume snapshot. Nothing was changed.',
    });
  });
});
