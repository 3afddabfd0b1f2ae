import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isCustomFormat, isCustomHead } from '../../../src/core/database';
import { LifeboatError } from '../../../src/core/common';

describe('telling a pg_dump -Fc archive from a plain dump by its first bytes', () => {
  it('PGDMP at the start, and nothing shorter, is an archive', async () => {
    assert.equal(isCustomHead(Buffer.from('PGDMP\x01\x0e')), true);
    assert.equal(isCustomHead(Buffer.from('PGDM')), false);
    assert.equal(isCustomHead(Buffer.from('--\n-- PostgreSQL database dump')), false);
    const dir = await fs.mkdtemp(join(tmpdir(), 'lb-custom-'));
    try {
      await fs.writeFile(join(dir, 'a.dump'), 'PGDMP\x01');
      await fs.writeFile(join(dir, 'short.dump'), 'PGD');
      assert.equal(await isCustomFormat(join(dir, 'a.dump')), true);
      assert.equal(await isCustomFormat(join(dir, 'short.dump')), false);
      await assert.rejects(
        isCustomFormat(join(dir, 'missing.dump')),
        (err: Error) =>
          err instanceof LifeboatError && err.message.startsWith(`Cannot read the backup (${join(dir, 'missing.dump')}): ENOENT`),
      );
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
