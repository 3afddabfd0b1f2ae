import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { StderrTail } from '../../../src/core/docker';
import { fsyncDir } from '../../../src/core/store';

describe('StderrTail over many chunks, and fsyncDir failures', () => {
  it('drops whole old chunks once the newer ones alone fill the limit, keeping memory bounded', () => {
    const tail = new StderrTail(8);
    for (let i = 0; i < 1000; i++) tail.push(Buffer.from(`line ${i}\n`));
    assert.equal(tail.text(), 'ine 999', 'the last 8 bytes, trimmed');
    const small = new StderrTail(100);
    small.push(Buffer.from('error: one\n'));
    small.push(Buffer.from('error: two\n'));
    assert.equal(small.text(), 'error: one\nerror: two');
  });

  it('a folder that is gone is an error; a folder that exists syncs', async () => {
    await assert.rejects(fsyncDir(join(tmpdir(), 'lifeboat-no-such-folder-xyz')), (err: NodeJS.ErrnoException) => err.code === 'ENOENT');
    await fsyncDir(tmpdir());
  });
});
