import * as assert from 'node:assert/strict';
import { existsSync, promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { LifeboatError } from '../../../src/core/common';
import { safeExtract } from '../../../src/core/archive';
import { packTar } from '../../support/hostileTar';

describe('safeExtract: a staging folder that cannot be made (issue 13)', () => {
  let root: string;
  let archive: string;
  beforeEach(async () => {
    root = await fs.mkdtemp(join(tmpdir(), 'lb-extract-staging-'));
    archive = join(root, 'config_20240102_030405.tar.gz');
    await fs.writeFile(archive, gzipSync(await packTar([{ name: '.env', body: 'A=1\n' }])));
  });
  afterEach(() => fs.rm(root, { recursive: true, force: true }));

  it('a staging folder whose parent is missing is an error naming the folder; nothing is created', async () => {
    const staging = join(root, 'gone', 'staging');
    await assert.rejects(safeExtract(archive, { stagingDir: staging }), (err: unknown) => {
      assert.ok(err instanceof LifeboatError);
      assert.match(err.message, /^Cannot create the staging folder \(.*\/gone\/staging\): ENOENT/);
      // The staging folder is not in the backup folder: that setting's advice would mislead.
      assert.match(err.hint ?? '', /TMPDIR/);
      assert.doesNotMatch(err.hint ?? '', /backupDirectory/);
      return true;
    });
    assert.equal(existsSync(join(root, 'gone')), false);
  });

  it('a staging folder under a file says a part of the path is a file, and leaves the file alone', async () => {
    await fs.writeFile(join(root, 'plain'), 'keep');
    const staging = join(root, 'plain', 'staging');
    await assert.rejects(safeExtract(archive, { stagingDir: staging }), (err: unknown) => {
      assert.ok(err instanceof LifeboatError);
      assert.equal(err.message, `Cannot create the staging folder: a part of ${staging} is a file, not a folder (ENOTDIR).`);
      assert.doesNotMatch(err.hint ?? '', /backupDirectory/);
      return true;
    });
    assert.equal(await fs.readFile(join(root, 'plain'), 'utf8'), 'keep');
  });
});
