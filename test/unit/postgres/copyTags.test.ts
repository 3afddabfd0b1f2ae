import * as assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CopyTagCollector, countsFromTags } from '../../../src/core/postgres';

describe("CopyTagCollector (psql command tags as the server's row counts)", () => {
  it('keeps only COPY tags, across chunk boundaries, and ignores look-alikes inside other output', async () => {
    const out =
      'SET\nSET\n set_config \n------------\n \n(1 row)\n\nCREATE TABLE\nALTER TABLE\nCOPY 18000\nCOPY 0\n setval \n--------\n COPY 7\n(1 row)\n\nALTER TABLE\nCOPY 123456';
    // Split everywhere, including inside "COPY 18000".
    const chunks: Buffer[] = [];
    for (let i = 0; i < out.length; i += 3) chunks.push(Buffer.from(out.slice(i, i + 3)));
    const c = new CopyTagCollector();
    await pipeline(Readable.from(chunks), c);
    assert.deepEqual(c.counts, [18000, 0, 123456]);
  });

  it('pairs tags with COPY blocks in order, and refuses to guess when they do not pair', () => {
    assert.deepEqual(countsFromTags(['public.a', 'public.b'], [3, 0]), { 'public.a': 3, 'public.b': 0 });
    assert.equal(countsFromTags(['public.a', 'public.b'], [3]), undefined);
    assert.equal(countsFromTags(['public.a'], [3, 4]), undefined);
  });

  it('does not pair tags when a table is copied more than once: one tag per table would be a wrong count', () => {
    // Rows the server took from two COPYs need not all still be in the table (a TRUNCATE or
    // DELETE may run between them), so neither the last tag nor the sum proves its row count.
    assert.equal(countsFromTags(['public.a', 'public.b', 'public.a'], [2, 5, 3]), undefined);
    assert.equal(countsFromTags(['public.a', 'public.a'], [0, 0]), undefined);
  });
});
