import * as assert from 'node:assert/strict';
import { ArchiveGuard, UnsafeEntry, archivePathComponents, shortName } from '../../../src/core/archive';

/** The reason the guard gives for refusing `run`, which must name `entry`. */
function refusal(entry: string, run: () => unknown): string {
  try {
    run();
  } catch (err) {
    assert.ok(err instanceof UnsafeEntry, String(err));
    assert.equal(err.entry, entry);
    assert.ok(err.message.startsWith(`"${shortName(entry)}" `), err.message);
    return err.reason;
  }
  assert.fail(`"${entry}" was accepted`);
}

describe('ArchiveGuard: the entry rules every archive reader and writer share', () => {
  it("refuses a NUL byte in a name or in a symbolic link's target", () => {
    assert.equal(archivePathComponents('a\0b'), 'has a NUL byte in its name');
    const guard = new ArchiveGuard();
    assert.match(
      refusal('a\0b', () => guard.check('a\0b', 'file')),
      /NUL byte in its name/,
    );
    assert.match(
      refusal('l', () => guard.check('l', 'symlink', 'x\0y')),
      /whose target has a NUL byte/,
    );
  });

  it('refuses symbolic links with an empty, missing or absolute target', () => {
    const guard = new ArchiveGuard();
    assert.match(
      refusal('l', () => guard.check('l', 'symlink', '')),
      /with an empty target/,
    );
    assert.match(
      refusal('m', () => guard.check('m', 'symlink', null)),
      /with an empty target/,
    );
    assert.match(
      refusal('n', () => guard.check('n', 'symlink', '/etc/passwd')),
      /symbolic link to "\/etc\/passwd", outside the folder/,
    );
  });

  it('refuses hard links that leave the folder, point at nothing earlier, at a folder or at themselves', () => {
    const guard = new ArchiveGuard();
    guard.check('f', 'file');
    guard.check('d/', 'directory');
    assert.match(
      refusal('h1', () => guard.check('h1', 'link', null)),
      /hard link to "", outside the folder/,
    );
    assert.match(
      refusal('h2', () => guard.check('h2', 'link', '../f')),
      /hard link to "\.\.\/f", outside the folder/,
    );
    assert.match(
      refusal('h3', () => guard.check('h3', 'link', 'missing')),
      /hard link to "missing", which is not a file earlier/,
    );
    assert.match(
      refusal('h4', () => guard.check('h4', 'link', 'd')),
      /hard link to "d", which is not a file earlier/,
    );
    assert.match(
      refusal('f', () => guard.check('f', 'link', 'f')),
      /hard link to "f", which is not a file earlier/,
    );
    assert.match(
      refusal('h5', () => guard.check('h5', 'link', `${'x/'.repeat(2100)}f`)),
      /has a link target of 4201 bytes/,
    );
    assert.deepEqual(guard.check('h6', 'link', './f'), { path: 'h6', type: 'link', newParents: [], existed: false, target: 'f' });
  });

  it('takes the root "./" as nothing to create, and refuses an empty name for anything else', () => {
    const guard = new ArchiveGuard();
    assert.equal(guard.check('./', 'directory'), undefined);
    assert.equal(guard.check('.', 'directory'), undefined);
    assert.match(
      refusal('', () => guard.check('', 'file')),
      /has an empty name/,
    );
    assert.match(
      refusal('.', () => guard.check('.', 'symlink', 'a')),
      /has an empty name/,
    );
  });

  it('refuses devices, FIFOs and types it does not know, naming the type', () => {
    const guard = new ArchiveGuard();
    assert.match(
      refusal('dev', () => guard.check('dev', 'block-device')),
      /is a device \(block-device\)/,
    );
    assert.match(
      refusal('tty', () => guard.check('tty', 'character-device')),
      /is a device \(character-device\)/,
    );
    assert.match(
      refusal('p', () => guard.check('p', 'fifo')),
      /is a FIFO/,
    );
    assert.match(
      refusal('s', () => guard.check('s', 'socket')),
      /unsupported entry type \(socket\)/,
    );
    assert.match(
      refusal('u', () => guard.check('u', undefined)),
      /unsupported entry type \(unknown\)/,
    );
    assert.match(
      refusal('n', () => guard.check('n', null)),
      /unsupported entry type \(unknown\)/,
    );
  });

  it('checkHeader refuses a folder with content, an impossible time, and an entry after an empty extended header', () => {
    const guard = new ArchiveGuard();
    assert.match(
      refusal('d/', () => guard.checkHeader({ name: 'd/', type: 'directory', size: 1 })),
      /folder that declares 1 byte of content/,
    );
    assert.match(
      refusal('t', () => guard.checkHeader({ name: 't', type: 'file', mtime: new Date(Number.NaN) })),
      /modification time outside/,
    );
    assert.match(
      refusal('x', () => guard.checkHeader({ name: 'x', type: 'file', afterEmptyExtension: true })),
      /follows an extended \(PAX or long name\) header with no content/,
    );
    // Fields tar-stream leaves out are taken as empty, not as a refusal.
    assert.deepEqual(guard.checkHeader({ name: 'e/', type: 'directory' }), {
      path: 'e',
      type: 'directory',
      newParents: [],
      existed: false,
      target: undefined,
    });
  });

  it('refuses a file, symbolic link or hard link whose name ends in "/" or "/.", and accepts such a folder', () => {
    const guard = new ArchiveGuard();
    guard.check('f', 'file');
    assert.match(
      refusal('a/', () => guard.check('a/', 'file')),
      /is a file whose name ends in "\/", which names a folder/,
    );
    assert.match(
      refusal('a/.', () => guard.check('a/.', 'contiguous-file')),
      /is a file whose name ends/,
    );
    assert.match(
      refusal('l/', () => guard.check('l/', 'symlink', 'f')),
      /is a symbolic link whose name ends/,
    );
    assert.match(
      refusal('h/', () => guard.check('h/', 'link', 'f')),
      /is a hard link whose name ends/,
    );
    assert.equal(guard.check('a/./', 'directory')?.path, 'a');
  });

  it('lets a folder be listed again and a file be replaced, as tar does, and says it existed', () => {
    const guard = new ArchiveGuard();
    assert.deepEqual(guard.check('d/f', 'file'), { path: 'd/f', type: 'file', newParents: ['d'], existed: false, target: undefined });
    assert.equal(guard.check('d', 'directory')?.existed, true);
    assert.equal(guard.check('d/f', 'file')?.existed, true);
    assert.match(
      refusal('d/f', () => guard.check('d/f', 'directory')),
      /would replace the file of the same path with a folder/,
    );
    assert.match(
      refusal('d', () => guard.check('d', 'symlink', 'x')),
      /would replace the folder of the same path with a symbolic link/,
    );
  });
});
