import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { encryptFile } from '../../../src/core/encryption';
import type { KeyProvider } from '../../../src/core/encryption';
import { CryptoError } from '../../../src/core/crypto';
import { LifeboatError } from '../../../src/core/common';
import type { Logger } from '../../../src/core/common';
import { readArchiveEntries, removeStaging, safeExtract } from '../../../src/core/archive';
import { PackEntry, packTar } from '../../support/hostileTar';

describe('safeExtract: replaced entries, the root entry and manifest budgets', () => {
  let root: string;
  beforeEach(async () => {
    root = await fs.mkdtemp(join(tmpdir(), 'lb-extract-edges-'));
  });
  afterEach(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  async function archive(entries: PackEntry[], manifestEntries?: unknown[]): Promise<string> {
    const path = join(root, 'config_20240102_030405.tar.gz');
    await fs.writeFile(path, gzipSync(await packTar(entries)));
    if (manifestEntries) {
      const manifest = {
        formatVersion: 1,
        kind: 'config',
        createdAt: '2024-01-02T03:04:05.000Z',
        verifications: [],
        entries: manifestEntries,
        missing: [],
      };
      await fs.writeFile(`${path}.json`, JSON.stringify(manifest));
    }
    return path;
  }

  it('a later file replaces an earlier one without writing through a hard link to it, as tar does', async () => {
    const path = await archive([
      { name: 'a', body: 'one' },
      { name: 'h', type: 'link', linkname: 'a' },
      { name: 'a', body: 'two' },
    ]);
    const res = await safeExtract(path, { stagingDir: join(root, 'staging') });
    assert.equal(await fs.readFile(join(res.dir, 'a'), 'utf8'), 'two');
    assert.equal(await fs.readFile(join(res.dir, 'h'), 'utf8'), 'one', 'the link keeps the first content');
    assert.deepEqual(
      res.entries.map((e) => [e.path, e.type, e.size]),
      [
        ['a', 'file', 3],
        ['h', 'link', 3],
        ['a', 'file', 3],
      ],
    );
    await removeStaging(res.dir);
  });

  it('the root entry "./" creates and lists nothing; the extraction is logged', async () => {
    const path = await archive([
      { name: './', type: 'directory' },
      { name: './x', body: 'x' },
    ]);
    assert.deepEqual(
      (await readArchiveEntries(path)).entries.map((e) => e.path),
      ['x'],
    );
    const infos: string[] = [];
    const logger = { info: (m: string) => infos.push(m), warn: () => undefined, error: () => undefined } as unknown as Logger;
    const res = await safeExtract(path, { stagingDir: join(root, 'staging'), logger });
    assert.deepEqual(await fs.readdir(res.dir), ['x']);
    assert.match(infos.join('\n'), /Extracted 1 entries of .*config_20240102_030405\.tar\.gz to .*staging/);
    await removeStaging(res.dir);
  });

  it("files past the total a manifest records are refused with the manifest's hint, even when each entry is unlisted", async () => {
    const path = await archive(
      [
        { name: 'a', body: 'x'.repeat(10) },
        { name: 'c', body: 'y'.repeat(15) },
      ],
      [
        { path: 'a', type: 'file', size: 10 },
        { path: 'b', type: 'file', size: 10 },
      ],
    );
    const staging = join(root, 'staging');
    await assert.rejects(safeExtract(path, { stagingDir: staging }), (err: Error) => {
      assert.ok(err instanceof LifeboatError, String(err));
      assert.match(err.message, /its files would take more than the 20 B its manifest records \(at "c", 15 B\)/);
      assert.match(String(err.hint), /does not match its manifest/);
      return true;
    });
    assert.equal(existsSync(staging), false);
  });

  for (const [what, bad] of [
    ['a negative size', { path: 'a', type: 'file', size: -1 }],
    ['a size that is not a number', { path: 'a', type: 'file', size: '10' }],
    ['an entry without a path', { type: 'file', size: 10 }],
  ] as const) {
    it(`a manifest with ${what} sets no limit of its own: the cap holds`, async () => {
      const path = await archive([{ name: 'a', body: 'x'.repeat(2000) }], [bad]);
      await assert.rejects(safeExtract(path, { stagingDir: join(root, 'staging'), maxBytes: 1000 }), (err: Error) => {
        assert.match(err.message, /its files would take more than [^(]+ \(at "a", [^)]+\), far more than config files do/);
        assert.match(String((err as LifeboatError).hint), /gzip bomb/);
        return true;
      });
      const res = await safeExtract(path, { stagingDir: join(root, 'staging2') });
      assert.equal((await fs.stat(join(res.dir, 'a'))).size, 2000);
      await removeStaging(res.dir);
    });
  }

  it('an encrypted archive damaged after its header fails as tampered, named, and its staging folder is removed', async () => {
    const path = await archive([
      { name: 'a', body: 'x'.repeat(200_000) },
      { name: 'b', body: 'y' },
    ]);
    const encrypted = (await encryptFile(path, { format: 'age', passphrase: 'pw', workFactor: 10, removePlaintext: true })).path;
    const bytes = await fs.readFile(encrypted);
    bytes[bytes.length - 40] ^= 1;
    await fs.writeFile(encrypted, bytes);
    const keys: KeyProvider = { key: async (_f, _i, failed) => (failed ? Promise.reject(failed) : { passphrase: 'pw' }) };
    const staging = join(root, 'staging');
    await assert.rejects(safeExtract(encrypted, { stagingDir: staging, keys }), (err: Error) => {
      assert.ok(err instanceof CryptoError, String(err));
      assert.equal(err.code, 'tampered');
      assert.match(err.message, /^"config_20240102_030405\.tar\.gz\.age": authentication failed/);
      return true;
    });
    assert.equal(existsSync(staging), false);
  });

  it('an encrypted archive damaged far past its first chunk fails as tampered while extracting, named, and its staging folder is removed', async () => {
    // Random content does not compress: the damage lies past the first 1 MiB read, which opening the file decrypts.
    const path = await archive([{ name: 'noise.bin', body: randomBytes(3_000_000) }]);
    const encrypted = (await encryptFile(path, { format: 'age', passphrase: 'pw', workFactor: 10, removePlaintext: true })).path;
    const bytes = await fs.readFile(encrypted);
    bytes[bytes.length - 40] ^= 1;
    await fs.writeFile(encrypted, bytes);
    const keys: KeyProvider = { key: async (_f, _i, failed) => (failed ? Promise.reject(failed) : { passphrase: 'pw' }) };
    const staging = join(root, 'staging');
    await assert.rejects(safeExtract(encrypted, { stagingDir: staging, keys }), (err: Error) => {
      assert.ok(err instanceof CryptoError, String(err));
      assert.equal(err.code, 'tampered');
      assert.match(err.message, /^"config_20240102_030405\.tar\.gz\.age": authentication failed/);
      return true;
    });
    assert.equal(existsSync(staging), false);
  });

  it('a temp folder that is gone: the staging folder cannot be made there, and the error names the temp folder', async () => {
    const path = await archive([{ name: 'a', body: 'one' }]);
    const missing = join(root, 'no-such-tmp');
    const saved = process.env.TMPDIR;
    // os.tmpdir() reads TMPDIR on each call; it is put back before anything else runs.
    process.env.TMPDIR = missing;
    let caught: unknown;
    try {
      await safeExtract(path);
    } catch (err) {
      caught = err;
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
    }
    assert.ok(caught instanceof LifeboatError, String(caught));
    assert.ok(caught.message.includes(missing), caught.message);
    assert.match(caught.message, /^Cannot create the staging folder/);
    assert.match(caught.hint ?? '', /^The staging folder is made under the system temp folder: /);
    assert.equal(existsSync(missing), false, 'nothing was created in its place');
  });
});
