import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { LifeboatError } from '../../../src/core/common';
import { checkTarGz } from '../../../src/core/archive';
import { plainSource } from '../../../src/core/encryption';
import { packTar } from '../../support/hostileTar';

describe('an archive deleted between being opened and being read', () => {
  let root: string;
  beforeEach(async () => {
    root = await fs.mkdtemp(join(tmpdir(), 'lb-archive-gone-'));
  });
  afterEach(() => fs.rm(root, { recursive: true, force: true }));

  it('is a read error naming the archive, not a corrupt one', async () => {
    const path = join(root, 'config_20240102_030405.tar.gz');
    await fs.writeFile(path, gzipSync(await packTar([{ name: 'a', body: 'one' }])));
    // Opening reads its first bytes; a cleanup elsewhere then deletes it before the full read.
    const source = await plainSource(path);
    await fs.rm(path);
    await assert.rejects(checkTarGz(source), (err: Error) => {
      assert.ok(err instanceof LifeboatError, String(err));
      assert.ok(err.message.startsWith(`Cannot read the archive (${path}): ENOENT`), err.message);
      assert.doesNotMatch(err.message, /corrupt/);
      return true;
    });
  });
});
