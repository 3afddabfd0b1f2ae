import * as assert from 'node:assert/strict';
import { existsSync, promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LifeboatError } from '../../../src/core/common';
import { FolderDestination } from '../../../src/core/offsite';

describe('FolderDestination', () => {
  let root: string;
  beforeEach(async () => {
    root = await fs.mkdtemp(join(tmpdir(), 'lb-folder-dest-'));
  });
  afterEach(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  const refusal = (message: RegExp, hint: RegExp) => (err: Error) => {
    assert.ok(err instanceof LifeboatError, String(err));
    assert.match(err.message, message);
    assert.match(err.hint ?? '', hint);
    return true;
  };

  it('refuses a file given as the destination folder', async () => {
    await fs.writeFile(join(root, 'nas'), 'x');
    await assert.rejects(
      new FolderDestination(join(root, 'nas')).check(),
      refusal(/^The off-site destination .*nas is not a folder\.$/, /^Correct the setting lifeboat\.offsite\.destination\.$/),
    );
  });

  it('says it cannot open a destination below a file, and points at the off-site setting', async () => {
    await fs.writeFile(join(root, 'file'), 'x');
    await assert.rejects(
      new FolderDestination(join(root, 'file', 'nas')).check(),
      refusal(/^Cannot open the off-site folder \(.*file\/nas\): ENOTDIR/, /lifeboat\.offsite\.destination/),
    );
  });

  it('refuses a path that leaves the folder, as a bug', async () => {
    const dest = new FolderDestination(root);
    for (const path of ['../x', '..', '/etc/passwd', 'database/../../x'])
      await assert.rejects(
        dest.stat(path),
        refusal(/^The off-site path ".*" leaves the destination folder\.$/, /This is a bug in Lifeboat/),
      );
  });

  it('lists the root and a folder by relative path, without partials, hidden files or folders', async () => {
    const dest = new FolderDestination(root);
    await fs.mkdir(join(root, 'database'));
    await fs.writeFile(join(root, 'database', 'a.sql.gz'), 'abc');
    await fs.writeFile(join(root, 'database', '.a.sql.gz.partial'), 'ab');
    await fs.mkdir(join(root, 'database', 'sub'));
    await fs.writeFile(join(root, 'top.txt'), 'abcd');
    assert.deepEqual(
      (await dest.list('database')).map((e) => [e.path, e.bytes]),
      [['database/a.sql.gz', 3]],
    );
    assert.deepEqual(
      (await dest.list('')).map((e) => [e.path, e.bytes]),
      [['top.txt', 4]],
    );
    assert.deepEqual(await dest.list('volumes'), []);
  });

  it('says it cannot list or read a folder that is a file', async () => {
    const dest = new FolderDestination(root);
    await fs.writeFile(join(root, 'database'), 'x');
    await assert.rejects(
      dest.list('database'),
      refusal(/^Cannot list the off-site folder \(.*database\): ENOTDIR/, /lifeboat\.offsite\.destination/),
    );
    await assert.rejects(
      dest.stat('database/a.sql.gz'),
      refusal(/^Cannot read the off-site folder \(.*database\/a\.sql\.gz\): ENOTDIR/, /mounted, writable/),
    );
    await assert.rejects(
      dest.write('database/a.sql.gz'),
      refusal(/^Cannot create the off-site folder \(.*database\): EEXIST/, /lifeboat\.offsite\.destination/),
    );
    assert.equal(await fs.readFile(join(root, 'database'), 'utf8'), 'x');
  });

  it('says which copy it cannot read', async () => {
    await assert.rejects(
      new FolderDestination(root).read('database/gone.sql.gz'),
      refusal(/^Cannot read the off-site copy \(.*database\/gone\.sql\.gz\): ENOENT/, /lifeboat\.offsite\.destination/),
    );
  });

  it('says it cannot write when the partial name is taken by a folder, and leaves that folder', async () => {
    await fs.mkdir(join(root, 'database', '.a.sql.gz.partial'), { recursive: true });
    await assert.rejects(
      new FolderDestination(root).write('database/a.sql.gz'),
      refusal(/^Cannot write the off-site copy \(.*\.a\.sql\.gz\.partial\): EISDIR/, /lifeboat\.offsite\.destination/),
    );
    assert.ok(existsSync(join(root, 'database', '.a.sql.gz.partial')));
  });

  it('an abort after the commit keeps the committed copy', async () => {
    const dest = new FolderDestination(root);
    const pending = await dest.write('database/a.sql.gz');
    await new Promise<void>((resolve, reject) => pending.stream.end(Buffer.from('hello'), () => resolve()).once('error', reject));
    await pending.commit();
    await pending.abort();
    assert.equal(await fs.readFile(join(root, 'database', 'a.sql.gz'), 'utf8'), 'hello');
    assert.deepEqual(await fs.readdir(join(root, 'database')), ['a.sql.gz']);
    assert.equal((await dest.stat('database'))?.path, undefined, 'a folder is not an object');
  });
});
