import * as assert from 'node:assert/strict';
import { DumpScanner, majorVersion } from '../../../src/core/database';

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
    const text = [
      '-- PostgreSQL database dump',
      'COPY public.big (id, name, v) FROM stdin;',
      ...rows,
      '\\.',
      'COPY public.after (id) FROM stdin;',
      '1',
      '\\.',
      '-- PostgreSQL database dump complete',
      '',
    ].join('\n');
    for (const size of [997, 4093, 65536, 1 << 20]) {
      const f = scan(text, size);
      assert.deepEqual(f.tables, { 'public.big': 10_000, 'public.after': 1 }, `chunks of ${size}`);
      assert.deepEqual(f.copies, ['public.big', 'public.after']);
      assert.equal(f.complete, true);
    }
  });

  it('reads the COPY header of a table of any width', () => {
    // pg_dump writes the column list on the header line: 150 columns of 22-character names is
    // a 3.6 kB line, far beyond the first bytes that name the table.
    const columns = (n: number) => Array.from({ length: n }, (_, i) => `column_with_a_long_${String(i).padStart(3, '0')}`).join(', ');
    const text = [
      '-- PostgreSQL database dump',
      `COPY public.wide40 (${columns(40)}) FROM stdin;`,
      ...Array.from({ length: 4 }, (_, i) => Array.from({ length: 40 }, () => i).join('\t')),
      '\\.',
      `COPY public."Wide ""150""" (${columns(150)}) FROM stdin;`,
      ...Array.from({ length: 3 }, (_, i) => Array.from({ length: 150 }, () => i).join('\t')),
      '\\.',
      // Long lines that are not COPY headers stay SQL, however they end.
      `INSERT INTO public.t VALUES ('${'x'.repeat(300_000)}');`,
      `COPY public.not_a_header (${columns(150)}) TO stdout;`,
      '-- PostgreSQL database dump complete',
      '',
    ].join('\n');
    for (const size of [1, 7, 4096, 1 << 20]) {
      const f = scan(text, size);
      assert.deepEqual(f.tables, { 'public.wide40': 4, 'public."Wide ""150"""': 3 }, `chunks of ${size}`);
      assert.deepEqual(f.copies, ['public.wide40', 'public."Wide ""150"""']);
      assert.equal(f.complete, true);
      assert.equal(f.unterminatedCopy, undefined);
    }
  });

  it('reads a dump with CRLF line ends as psql does: \\. then CR LF ends the rows', () => {
    const crlf = DUMP.replace(/\n/g, '\r\n');
    for (const size of [1, 2, 3, 7, 64, 1 << 20]) {
      const f = scan(crlf, size);
      assert.equal(f.unterminatedCopy, undefined, `chunks of ${size}`);
      assert.equal(f.complete, true);
      assert.deepEqual(f.tables, { 'public.alembic_version': 1, 'public.users': 3, 'public."Odd Name"': 0 });
      assert.deepEqual(f.alembicHeads, ['c3d4e5f6a7b8']);
      assert.equal(f.serverVersion, '15.8 (Debian 15.8-0+deb12u1)');
    }
  });

  it('notices a dump cut off in the middle of a COPY block', () => {
    const cut = DUMP.slice(0, DUMP.indexOf('2\tline'));
    const f = scan(cut, 16);
    assert.equal(f.complete, false);
    assert.equal(f.unterminatedCopy, 'public.users');
  });

  it("reads two dumps in one file (pg_dumpall's per-database parts) as one: both headers, every table", () => {
    const second = DUMP.replace(/public\.users/g, 'public.orders').replace('public."Odd Name"', 'public.other');
    const f = scan(`${DUMP}\\connect shop\n${second}`, 64);
    assert.equal(f.looksLikeDump, true);
    assert.equal(f.complete, true);
    assert.equal(f.tables['public.users'], 3);
    assert.equal(f.tables['public.orders'], 3);
  });

  it("a dump whose first line is pg_dump's own warning (stderr sent along with 2>&1) is still known by its header", () => {
    const f = scan(`pg_dump: warning: there are circular foreign-key constraints on this table:\n${DUMP}`, 64);
    assert.equal(f.looksLikeDump, true);
    assert.equal(f.complete, true);
    assert.equal(f.tables['public.users'], 3);
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
