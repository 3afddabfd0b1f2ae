import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { diskSpace } from '../../../src/core/store';

describe('diskSpace: free space where a backup will be written', () => {
  it('measures a folder that does not exist yet at its nearest existing parent', async () => {
    const base = await fs.mkdtemp(join(tmpdir(), 'lb-disk-'));
    try {
      const here = await diskSpace(base);
      const deep = await diskSpace(join(base, 'not', 'yet', 'made'));
      assert.ok(here && deep);
      assert.equal(deep.totalBytes, here.totalBytes);
      assert.ok(deep.freeBytes > 0 && deep.freeBytes <= deep.totalBytes);
    } finally {
      await fs.rm(base, { recursive: true, force: true });
    }
  });

  it('says nothing (undefined) when the path runs through a file, rather than measuring elsewhere', async () => {
    const base = await fs.mkdtemp(join(tmpdir(), 'lb-disk-'));
    try {
      await fs.writeFile(join(base, 'file'), 'x');
      assert.equal(await diskSpace(join(base, 'file', 'backups')), undefined);
    } finally {
      await fs.rm(base, { recursive: true, force: true });
    }
  });
});
