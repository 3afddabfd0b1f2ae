import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyFiles, compareWithWorkspace } from '../../../src/core/config';
import { CancelledError, LifeboatError } from '../../../src/core/common';
import type { ArchiveEntry } from '../../../src/core/archive';

const MTIME = new Date(Date.UTC(2024, 0, 2, 3, 4, 5));
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

describe('configDiff: comparing and applying staged config files (edge cases)', () => {
  let root: string;
  let staging: string;
  let ws: string;
  beforeEach(async () => {
    root = await fs.mkdtemp(join(tmpdir(), 'lb-configdiff-'));
    staging = join(root, 'staging');
    ws = join(root, 'ws');
    await fs.mkdir(staging);
    await fs.mkdir(ws);
  });
  afterEach(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  /** A staged file and its entry; `withHash: false` is an entry listed without its sha256. */
  async function staged(path: string, content: string, withHash = true): Promise<ArchiveEntry> {
    await fs.mkdir(join(staging, path, '..'), { recursive: true });
    await fs.writeFile(join(staging, path), content);
    return { path, type: 'file', size: Buffer.byteLength(content), mode: 0o644, mtime: MTIME, sha256: withHash ? sha(content) : undefined };
  }
  const link = (path: string, target: string): ArchiveEntry => ({ path, type: 'symlink', size: 0, mode: 0o777, mtime: MTIME, target });

  it('a link in the archive where the workspace has a file, and a file where it has a folder, differ in type', async () => {
    const entries = [link('current', 'v2'), await staged('conf', 'x')];
    await fs.writeFile(join(ws, 'current'), 'a file');
    await fs.mkdir(join(ws, 'conf'));
    const cmp = await compareWithWorkspace(staging, ws, entries);
    assert.deepEqual(
      cmp.map((c) => [c.path, c.status, c.reason, c.workspaceSize]),
      [
        ['current', 'changed', 'type', 6],
        ['conf', 'changed', 'type', undefined],
      ],
    );
  });

  it('an entry listed without its hash is compared by hashing the staged copy', async () => {
    const entries = [await staged('same', 'abc', false), await staged('other', 'abc', false)];
    await fs.writeFile(join(ws, 'same'), 'abc');
    await fs.chmod(join(ws, 'same'), 0o644);
    await fs.writeFile(join(ws, 'other'), 'abd');
    const cmp = await compareWithWorkspace(staging, ws, entries);
    assert.deepEqual(
      cmp.map((c) => [c.path, c.status, c.reason]),
      [
        ['same', 'identical', undefined],
        ['other', 'changed', 'content'],
      ],
    );
  });

  it('a path below a workspace file is new, not an error (the file is not a folder)', async () => {
    const entries = [await staged('a/b', 'x')];
    await fs.writeFile(join(ws, 'a'), 'a file where a folder was');
    const cmp = await compareWithWorkspace(staging, ws, entries);
    assert.deepEqual(
      cmp.map((c) => [c.path, c.status]),
      [['a/b', 'new']],
    );
  });

  it('refuses an empty path, and a folder the archive holds, before writing anything', async () => {
    const entries: ArchiveEntry[] = [{ path: 'd', type: 'directory', size: 0, mode: 0o755, mtime: MTIME }, await staged('f', 'x')];
    await assert.rejects(
      applyFiles(staging, ws, ['f', ''], entries),
      /Refused to apply "": it is empty; only paths inside the workspace are restored\./,
    );
    await assert.rejects(applyFiles(staging, ws, ['d'], entries), /Cannot apply "d": the archive has no file or link of that name\./);
    assert.deepEqual(await fs.readdir(ws), []);
  });

  it('a staged copy changed after extraction is refused, and nothing of it is left in the workspace', async () => {
    const entries = [await staged('.env', 'SECRET=1\n')];
    await fs.writeFile(join(staging, '.env'), 'SECRET=2\n');
    await assert.rejects(applyFiles(staging, ws, ['.env'], entries), (err: Error) => {
      assert.ok(err instanceof LifeboatError);
      assert.match(
        err.message,
        /^The staged copy of "\.env" no longer matches the archive \(it was changed after extraction\)\. No file was changed\.$/,
      );
      return true;
    });
    assert.deepEqual(await fs.readdir(ws), []);
  });

  it('a failure after some files were applied names them, and keeps the replaced copy', async () => {
    const entries = [await staged('a', 'new a'), await staged('b', 'new b')];
    await fs.writeFile(join(ws, 'a'), 'old a');
    await fs.writeFile(join(staging, 'b'), 'tampered');
    await assert.rejects(
      applyFiles(staging, ws, ['a', 'b'], entries),
      /no longer matches the archive .* 1 file was applied before it: "a"\./,
    );
    assert.equal(await fs.readFile(join(ws, 'a'), 'utf8'), 'new a');
    assert.equal(await fs.readFile(join(ws, 'a.bak'), 'utf8'), 'old a');
    assert.deepEqual((await fs.readdir(ws)).sort(), ['a', 'a.bak']);
  });

  it('a failure after two files were applied names both, in the order they were written', async () => {
    const entries = [await staged('a', 'new a'), await staged('b', 'new b'), await staged('c', 'new c')];
    await fs.writeFile(join(ws, 'b'), 'old b');
    await fs.writeFile(join(staging, 'c'), 'tampered');
    await assert.rejects(applyFiles(staging, ws, ['a', 'b', 'c'], entries), (err: Error) => {
      assert.ok(err instanceof LifeboatError);
      assert.match(err.message, /no longer matches the archive .* 2 files were applied before it: "a", "b"\.$/);
      return true;
    });
    assert.equal(await fs.readFile(join(ws, 'b.bak'), 'utf8'), 'old b');
    assert.deepEqual((await fs.readdir(ws)).sort(), ['a', 'b', 'b.bak']);
  });

  it('with .bak to .bak.999 all taken, the file is not replaced and the error names the limit', async () => {
    const entries = [await staged('a', 'new a')];
    await fs.writeFile(join(ws, 'a'), 'old a');
    await Promise.all(Array.from({ length: 1000 }, (_, n) => fs.writeFile(join(ws, n === 0 ? 'a.bak' : `a.bak.${n}`), `old ${n}`)));
    await assert.rejects(applyFiles(staging, ws, ['a'], entries), (err: Error) => {
      assert.ok(err instanceof LifeboatError);
      assert.match(err.message, /^Too many backup copies of .*\/a \(\.bak to \.bak\.999\)\. No file was changed\.$/);
      assert.equal(err.hint, 'Delete old .bak files, then retry.', 'its own way out is kept');
      return true;
    });
    assert.equal(await fs.readFile(join(ws, 'a'), 'utf8'), 'old a');
    assert.equal((await fs.readdir(ws)).length, 1001, 'no temporary file is left beside them');
  });

  it('a replaced link is kept as a link, under the next free .bak name', async () => {
    const entries = [link('current', 'v2')];
    await fs.symlink('v1', join(ws, 'current'));
    await fs.writeFile(join(ws, 'current.bak'), 'taken');
    const [applied] = await applyFiles(staging, ws, ['current'], entries);
    assert.deepEqual(applied, { path: 'current', action: 'replaced', backup: join(await fs.realpath(ws), 'current.bak.1') });
    assert.equal(await fs.readlink(join(ws, 'current')), 'v2');
    assert.equal(await fs.readlink(join(ws, 'current.bak.1')), 'v1');
  });

  it('a workspace folder that does not exist is named', async () => {
    const entries = [await staged('f', 'x')];
    await assert.rejects(compareWithWorkspace(staging, join(root, 'missing'), entries), /missing/);
    await assert.rejects(applyFiles(staging, join(root, 'missing'), ['f'], entries), /missing/);
  });

  it('comparing refuses an entry whose path would leave the workspace, naming it', async () => {
    const entries: ArchiveEntry[] = [{ path: '../outside', type: 'file', size: 1, mode: 0o644, mtime: MTIME, sha256: sha('x') }];
    await assert.rejects(
      compareWithWorkspace(staging, ws, entries),
      /^LifeboatError: Refused "\.\.\/outside": it has a "\.\." component that would leave the folder; only paths inside the workspace are restored\.$/,
    );
    const empty: ArchiveEntry[] = [{ path: '', type: 'file', size: 1, mode: 0o644, mtime: MTIME }];
    await assert.rejects(compareWithWorkspace(staging, ws, empty), /Refused "": it is empty/);
  });
  it('a replaced file is kept under the next free .bak name, leaving an older .bak as it was', async () => {
    const entries = [await staged('a', 'new a')];
    await fs.writeFile(join(ws, 'a'), 'old a');
    await fs.writeFile(join(ws, 'a.bak'), 'older a');
    const [applied] = await applyFiles(staging, ws, ['a'], entries);
    assert.deepEqual(applied, { path: 'a', action: 'replaced', backup: join(await fs.realpath(ws), 'a.bak.1') });
    assert.equal(await fs.readFile(join(ws, 'a'), 'utf8'), 'new a');
    assert.equal(await fs.readFile(join(ws, 'a.bak'), 'utf8'), 'older a');
    assert.equal(await fs.readFile(join(ws, 'a.bak.1'), 'utf8'), 'old a');
  });

  it('a cancel between files is a cancel: the files not reached are untouched', async () => {
    const entries = [await staged('a', 'new a'), await staged('b', 'new b')];
    await fs.writeFile(join(ws, 'b'), 'old b');
    const ac = new AbortController();
    await assert.rejects(
      applyFiles(staging, ws, ['a', 'b'], entries, {
        signal: ac.signal,
        progress: (u) => {
          if (u.phase.startsWith('Applying b')) ac.abort();
        },
      }),
      (err: Error) => err instanceof CancelledError,
    );
    assert.equal(await fs.readFile(join(ws, 'b'), 'utf8'), 'old b');
    assert.equal(await fs.readFile(join(ws, 'a'), 'utf8'), 'new a');
    assert.deepEqual((await fs.readdir(ws)).sort(), ['a', 'b']);
  });

  it('a cancel while a file is copied leaves neither it nor a temporary file', async () => {
    const entries = [await staged('a', 'new a')];
    await fs.writeFile(join(ws, 'a'), 'old a');
    const ac = new AbortController();
    await assert.rejects(
      applyFiles(staging, ws, ['a'], entries, { signal: ac.signal, progress: () => queueMicrotask(() => ac.abort()) }),
      (err: Error) => err instanceof CancelledError,
    );
    assert.equal(await fs.readFile(join(ws, 'a'), 'utf8'), 'old a');
    assert.deepEqual(await fs.readdir(ws), ['a']);
  });

  it('a file whose workspace folder is a file names the path and says nothing was changed', async () => {
    const entries = [await staged('conf/app.ini', 'x=1')];
    await fs.writeFile(join(ws, 'conf'), 'a file, not a folder');
    await assert.rejects(applyFiles(staging, ws, ['conf/app.ini'], entries), (err: Error) => {
      assert.ok(err instanceof LifeboatError);
      assert.match(
        err.message,
        /^Cannot restore "conf\/app\.ini": a part of .*conf\/app\.ini is a file, not a folder \(EEXIST\)\. No file was changed\.$/,
      );
      // Nothing was replaced, so no word of .bak files; the way out is about the workspace, not the backup folder.
      assert.equal(err.hint, 'Move the file that is in the way of that path, then restore again.');
      return true;
    });
    assert.equal(await fs.readFile(join(ws, 'conf'), 'utf8'), 'a file, not a folder');
  });
  it('a file two folders below a workspace file (ENOTDIR) gets the same way out, and nothing is changed', async () => {
    const entries = [await staged('conf/sub/app.ini', 'x=1')];
    await fs.writeFile(join(ws, 'conf'), 'a file, not a folder');
    await assert.rejects(applyFiles(staging, ws, ['conf/sub/app.ini'], entries), (err: Error) => {
      assert.ok(err instanceof LifeboatError);
      assert.match(err.message, /\((ENOTDIR|EEXIST)\)\. No file was changed\.$/);
      assert.equal(err.hint, 'Move the file that is in the way of that path, then restore again.');
      return true;
    });
    assert.equal(await fs.readFile(join(ws, 'conf'), 'utf8'), 'a file, not a folder');
  });

  it('a file whose name takes all 255 bytes a name can hold is restored, its .bak name cut short to fit', async () => {
    // Two- and three-byte characters: the temporary and .bak names beside it are shortened by whole characters.
    const name = 'é'.repeat(21) + '€'.repeat(71);
    assert.equal(Buffer.byteLength(name), 255);
    const entries = [await staged(name, 'new')];
    await fs.writeFile(join(ws, name), 'old');
    const [applied] = await applyFiles(staging, ws, [name], entries);
    assert.equal(applied.action, 'replaced');
    assert.equal(await fs.readFile(join(ws, name), 'utf8'), 'new');
    const bak = applied.backup!;
    assert.ok(bak.endsWith('.bak') && Buffer.byteLength(bak.split('/').pop()!) <= 255, bak);
    assert.ok(name.startsWith(bak.split('/').pop()!.slice(0, -'.bak'.length)), bak);
    assert.equal(await fs.readFile(bak, 'utf8'), 'old');
    assert.deepEqual((await fs.readdir(ws)).sort(), [name, bak.split('/').pop()].sort());
  });
  it('a link loop in the workspace where a folder would be is an error naming it, and nothing is written', async () => {
    const entries = [await staged('loop/app.ini', 'x=1')];
    await fs.symlink('loop', join(ws, 'loop'));
    for (const run of [() => compareWithWorkspace(staging, ws, entries), () => applyFiles(staging, ws, ['loop/app.ini'], entries)]) {
      await assert.rejects(run(), (err: Error) => {
        assert.ok(err instanceof LifeboatError, String(err));
        assert.match(err.message, /^Cannot read the workspace folder \(.*\/loop\): ELOOP/);
        return true;
      });
    }
    assert.deepEqual(await fs.readdir(ws), ['loop']);
  });
});
