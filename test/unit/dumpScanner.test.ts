import * as assert from 'node:assert/strict';
import { DumpScanner, majorVersion } from '../../src/core/dumpScanner';

const DUMP = [
  '--',
  '-- PostgreSQL database dump',
  '--',
  '',
  '\\restrict AbC123',
  '',
  '-- Dumped from database version 15.8 (Debian 15.8-0+deb12u1)',
  '-- Dumped by pg_dump version 15.20 (Debian 15.20-0+deb12u1)',
  '',
  'CREATE TABLE public.users (id integer, name text);',
  'COPY public.alembic_version (version_num) FROM stdin;',
  'c3d4e5f6a7b8',
  '\\.',
  '',
  'COPY public.users (id, name) FROM stdin;',
  '1\tAda',
  '2\tline\\nbreak',
  '3\t\\\\.',
  '\\.',
  '',
  'COPY public."Odd Name" (id) FROM stdin;',
  '\\.',
  '',
  '--',
  '-- PostgreSQL database dump complete',
  '--',
  '',
  '\\unrestrict AbC123',
  '',
].join('\n');

function scan(text: string, chunkSize: number) {
  const s = new DumpScanner();
  const buf = Buffer.from(text);
  for (let i = 0; i < buf.length; i += chunkSize) s.write(buf.subarray(i, i + chunkSize));
  return s.end();
}

describe('DumpScanner', () => {
  for (const size of [1, 3, 7, 64, 1 << 20]) {
    it(`reads versions, row counts, the Alembic head and the end marker (chunks of ${size})`, () => {
      const f = scan(DUMP, size);
      assert.equal(f.looksLikeDump, true);
      assert.equal(f.complete, true);
      assert.equal(f.serverVersion, '15.8 (Debian 15.8-0+deb12u1)');
      assert.equal(f.dumpVersion, '15.20 (Debian 15.20-0+deb12u1)');
      assert.deepEqual(f.tables, { 'public.alembic_version': 1, 'public.users': 3, 'public."Odd Name"': 0 });
      assert.deepEqual(f.alembicHeads, ['c3d4e5f6a7b8']);
      assert.equal(f.bytes, Buffer.byteLength(DUMP));
      assert.equal(f.unterminatedCopy, undefined);
      assert.deepEqual(f.copies, ['public.alembic_version', 'public.users', 'public."Odd Name"']);
    });
  }

  it('counts the rows of a large COPY block exactly wherever chunks split its lines and terminator', () => {
    const rows = Array.from({ length: 10_000 }, (_, i) => `${i}\tname ${i}\t${i % 7 === 0 ? '\\.' : 'x'}`);
    const text = ['-- PostgreSQL database dump', 'COPY public.big (id, name, v) FROM stdin;', ...rows, '\\.', 'COPY public.after (id) FROM stdin;', '1', '\\.', '-- PostgreSQL database dump complete', ''].join('\n');
    for (const size of [997, 4093, 65536, 1 << 20]) {
      const f = scan(text, size);
      assert.deepEqual(f.tables, { 'public.big': 10_000, 'public.after': 1 }, `chunks of ${size}`);
      assert.deepEqual(f.copies, ['public.big', 'public.after']);
      assert.equal(f.complete, true);
    }
  });

  it('notices a dump cut off in the middle of a COPY block', () => {
    const cut = DUMP.slice(0, DUMP.indexOf('2\tline'));
    const f = scan(cut, 16);
    assert.equal(f.complete, false);
    assert.equal(f.unterminatedCopy, 'public.users');
  });

  it('does not take arbitrary text for a dump', () => {
    const f = scan('hello world\nthis is not sql\n', 5);
    assert.equal(f.looksLikeDump, false);
    assert.equal(f.complete, false);
  });

  it('reads major versions old and new', () => {
    assert.equal(majorVersion('15.8 (Debian 15.8-0+deb12u1)'), 15);
    assert.equal(majorVersion('9.6.24'), 9.6);
    assert.equal(majorVersion(undefined), undefined);
  });
});
