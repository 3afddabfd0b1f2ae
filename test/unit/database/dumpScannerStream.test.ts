import * as assert from 'node:assert/strict';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DumpScanStream, DumpScanner } from '../../../src/core/database';

const one = (table: string, rows: number) =>
  `--\n-- PostgreSQL database dump\n--\n\n-- Dumped from database version 15.4\n-- Dumped by pg_dump version 15.4\n\nCOPY public.${table} (id) FROM stdin;\n${Array.from({ length: rows }, (_, i) => `${i}\n`).join('')}\\.\n\n--\n-- PostgreSQL database dump complete\n--\n\n`;

describe('DumpScanner on pg_dumpall-style output and as a stream', () => {
  it('two dumps one after the other: both headers are taken once, the rows of both counted', () => {
    const s = new DumpScanner();
    s.write(Buffer.from(one('a', 3) + one('b', 2)));
    assert.equal(s.facts.looksLikeDump, true);
    assert.equal(s.facts.complete, true);
    assert.deepEqual(s.facts.tables, { 'public.a': 3, 'public.b': 2 });
  });

  it('the stream passes the bytes through unchanged and reports how many it has read', async () => {
    const text = Buffer.from(one('a', 100));
    const seen: number[] = [];
    const out: Buffer[] = [];
    const scan = new DumpScanStream((bytes) => seen.push(bytes));
    await pipeline(
      Readable.from([text.subarray(0, 50), text.subarray(50)]),
      scan,
      new Writable({
        write(chunk: Buffer, _enc, done) {
          out.push(chunk);
          done();
        },
      }),
    );
    assert.deepEqual(Buffer.concat(out), text);
    assert.deepEqual(seen, [50, text.length]);
    assert.equal(scan.scanner.facts.tables['public.a'], 100);
  });
});
