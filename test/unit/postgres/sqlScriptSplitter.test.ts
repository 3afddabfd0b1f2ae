import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { IncompleteScriptError, ScriptPiece, SqlScriptSplitter, UnsupportedScriptError } from '../../../src/core/postgres';
import { replay } from '../../support/fcRandom';

type Event = { sql: string; copy: boolean } | { data: string } | { copyEnd: true };

/** Feeds `text` in chunks of `size` bytes; adjacent data pieces are merged (their cut points are arbitrary). */
function split(text: string, size: number): Event[] {
  return splitBy(text, [size]);
}

/** Feeds `text` in chunks of the given sizes, taken in turn. */
function splitBy(text: string, sizes: number[]): Event[] {
  const s = new SqlScriptSplitter();
  const buf = Buffer.from(text);
  const pieces: ScriptPiece[] = [];
  for (let i = 0, k = 0; i < buf.length; k++) {
    const size = sizes[k % sizes.length];
    pieces.push(...s.push(Buffer.from(buf.subarray(i, i + size))));
    i += size;
  }
  pieces.push(...s.end());
  const out: Event[] = [];
  for (const p of pieces) {
    const last = out[out.length - 1];
    if (p.kind === 'data') {
      if (last && 'data' in last) last.data += p.data.toString();
      else out.push({ data: p.data.toString() });
    } else if (p.kind === 'copyEnd') out.push({ copyEnd: true });
    else out.push({ sql: p.text.toString(), copy: p.copy });
  }
  return out;
}

function everySize(text: string, check: (events: Event[], size: number) => void): void {
  for (const size of [1, 2, 3, 5, 7, 16, 64, 1 << 20]) check(split(text, size), size);
}

const DUMP = [
  '--',
  '-- PostgreSQL database dump',
  '--',
  '',
  '\\restrict AbC123',
  '',
  'SET standard_conforming_strings = on;',
  "SELECT pg_catalog.set_config('search_path', '', false);",
  'CREATE FUNCTION public.f() RETURNS text LANGUAGE plpgsql AS $_$',
  'BEGIN',
  '  -- not a comment for the splitter; not the end: ;',
  "  RETURN 'x;y';",
  'COPY public.fake FROM stdin;',
  'END $_$;',
  "COMMENT ON TABLE public.users IS E'it\\'s; /* not a comment */';",
  '/* a comment ; with /* nested */ parts ; */',
  'CREATE TABLE public."we;ird" (id integer);',
  'COPY public.users (id, name) FROM stdin;',
  '1\tAda',
  '2\ta \\\\. b',
  '\\.',
  'COPY public."we;ird" (id) FROM stdin;',
  '\\.',
  "SELECT pg_catalog.setval('public.users_id_seq', 2, true);",
  'ALTER TABLE ONLY public.users ADD CONSTRAINT users_pkey PRIMARY KEY (id);',
  '',
  '-- PostgreSQL database dump complete',
  '',
  '\\unrestrict AbC123',
  '',
].join('\n');

describe('SqlScriptSplitter', () => {
  it('cuts a pg_dump script into statements and COPY rows, whatever the chunk size', () => {
    everySize(DUMP, (events, size) => {
      const sql = events.filter((e): e is { sql: string; copy: boolean } => 'sql' in e);
      // Queries end exactly at the two COPY statements, then once more for the rest.
      assert.deepEqual(
        sql.map((e) => e.copy),
        [true, true, false],
        `size ${size}`,
      );
      assert.match(sql[0].sql, /COPY public\.users \(id, name\) FROM stdin;\n$/);
      assert.match(sql[0].sql, /RETURN 'x;y';\nCOPY public\.fake FROM stdin;\nEND \$_\$;/, 'the COPY inside a function body stays SQL');
      assert.doesNotMatch(sql.map((e) => e.sql).join(''), /\\restrict|\\unrestrict/);
      const data = events.filter((e): e is { data: string } => 'data' in e);
      assert.deepEqual(
        data.map((d) => d.data),
        ['1\tAda\n2\ta \\\\. b\n'],
        `size ${size}`,
      );
      assert.equal(events.filter((e) => 'copyEnd' in e).length, 2);
      // Nothing is lost: the SQL sent plus the rows give back the script without psql's own lines.
      const rebuilt = events.map((e) => ('sql' in e ? e.sql : 'data' in e ? e.data : '\\.\n')).join('');
      assert.equal(rebuilt, DUMP.replace('\\restrict AbC123\n', '').replace('\\unrestrict AbC123\n', ''));
    });
  });

  it('keeps a CRLF terminator and an empty table', () => {
    const text = 'COPY t (a) FROM stdin;\r\n1\r\n\\.\r\nCOPY u (a) FROM stdin;\n\\.\nSELECT 1;\n';
    everySize(text, (events) => {
      assert.deepEqual(events, [
        { sql: 'COPY t (a) FROM stdin;\r\n', copy: true },
        { data: '1\r\n' },
        { copyEnd: true },
        { sql: 'COPY u (a) FROM stdin;\n', copy: true },
        { copyEnd: true },
        { sql: 'SELECT 1;\n', copy: false },
      ]);
    });
  });

  it('knows a COPY FROM STDIN however long its column list', () => {
    // 170 columns of 22-character names: pg_dump writes a 4.2 kB header line.
    const columns = Array.from({ length: 170 }, (_, i) => `column_name_number_${String(i).padStart(3, '0')}`).join(', ');
    const header = `COPY public.wide (${columns}) FROM stdin;\n`;
    const row = `${Array.from({ length: 170 }, (_, i) => i).join('\t')}\n`;
    const text = `${header}${row}\\.\nSELECT 1;\n`;
    everySize(text, (events, size) => {
      assert.deepEqual(
        events,
        [{ sql: header, copy: true }, { data: row }, { copyEnd: true }, { sql: 'SELECT 1;\n', copy: false }],
        `size ${size}`,
      );
    });
    // Spelled over lines and around comments, in any case, it is still one.
    const spread = `COPY public.wide (\n${columns.replace(/, /g, ',\n')}\n) from /* where */ -- the rows:\n  StdIn;\n`;
    assert.deepEqual(split(`${spread}1\n\\.\n`, 7), [{ sql: spread, copy: true }, { data: '1\n' }, { copyEnd: true }]);
    assert.throws(
      () => split(`COPY public.wide (${columns}) TO stdout;\n`, 1 << 20),
      (err: Error) => err instanceof UnsupportedScriptError && /COPY TO STDOUT/.test(err.message),
    );
    // Words inside quotes are not the keywords.
    const notStdin = `COPY public.t ("from stdin") FROM '/tmp/FROM STDIN';\nSELECT 1;\n`;
    assert.deepEqual(split(notStdin, 5), [{ sql: notStdin, copy: false }]);
  });

  it('sends long runs of statements in pieces that end between statements', () => {
    const row = `INSERT INTO t VALUES (1, '${'x'.repeat(200)};');\n`;
    const text = row.repeat(15000);
    const events = split(text, 65536);
    assert.ok(events.length > 2, 'more than one query for 3 MB of INSERTs');
    for (const e of events) {
      assert.ok('sql' in e && !e.copy);
      assert.ok(e.sql.endsWith(');\n') && e.sql.length % row.length === 0, 'a piece ends on a whole statement');
    }
    assert.equal(events.map((e) => ('sql' in e ? e.sql : '')).join(''), text);
  });

  it('a long statement of many lines, with the next one begun on its last line, is sent cut right after its ;', () => {
    const rows = '(1),\n'.repeat(300_000);
    const text = `INSERT INTO t VALUES\n${rows}(2); SELECT\n1;\n`;
    assert.deepEqual(split(text, 65536), [
      { sql: `INSERT INTO t VALUES\n${rows}(2);`, copy: false },
      { sql: ' SELECT\n1;\n', copy: false },
    ]);
  });

  it('copies each byte of a long line a bounded number of times, whatever its length (linear, not quadratic)', function () {
    this.timeout(60_000);
    // Counted, not timed: the old splitter joined a long line's pieces chunk by chunk with
    // Buffer.concat, copying a 64 MiB line about 8 GiB over; a timer on a busy machine says less.
    const concat = Buffer.concat;
    let copied = 0;
    Buffer.concat = ((list: readonly Uint8Array[], total?: number) => {
      const out = concat(list, total);
      copied += out.length;
      return out;
    }) as typeof Buffer.concat;
    const run = (text: Buffer) => {
      copied = 0;
      const s = new SqlScriptSplitter();
      let bytes = 0;
      for (let i = 0; i < text.length; i += 256 * 1024)
        for (const p of s.push(text.subarray(i, i + 256 * 1024)))
          bytes += p.kind === 'sql' ? p.text.length : p.kind === 'data' ? p.data.length : 3;
      for (const p of s.end()) bytes += p.kind === 'sql' ? p.text.length : p.kind === 'data' ? p.data.length : 3;
      assert.equal(bytes, text.length);
      return copied;
    };
    const MiB = 1024 * 1024;
    const kinds = {
      'a statement': (n: number) => Buffer.from(`INSERT INTO t VALUES (1, '${'x'.repeat(n)}');\n`),
      'a COPY row': (n: number) => Buffer.from(`COPY t (a, b) FROM stdin;\n1\t${'x'.repeat(n)}\n\\.\n`),
    };
    try {
      for (const [kind, make] of Object.entries(kinds)) {
        const small = run(make(16 * MiB));
        const large = run(make(64 * MiB));
        assert.ok(large <= 3 * 64 * MiB, `${kind}: ${large} bytes copied for a 64 MiB line`);
        assert.ok(large <= 5 * Math.max(small, MiB), `${kind}: ${small} bytes copied for 16 MiB, ${large} for 64 MiB`);
      }
    } finally {
      Buffer.concat = concat;
    }
  });

  it('passes a long COPY row on as it comes, holding back no more than a possible \\. line start', () => {
    const s = new SqlScriptSplitter();
    assert.deepEqual(
      s.push(Buffer.from('COPY t (a) FROM stdin;\n')).map((p) => p.kind),
      ['sql'],
    );
    let passed = 0;
    for (let i = 0; i < 64; i++) {
      for (const p of s.push(Buffer.alloc(65536, 0x78))) if (p.kind === 'data') passed += p.data.length;
      assert.equal(passed, (i + 1) * 65536, 'nothing of a row is kept back');
    }
    // A line start that may be the end of the rows is held until it is known.
    const tail = [...s.push(Buffer.from('\n\\')), ...s.push(Buffer.from('.')), ...s.push(Buffer.from('\r'))];
    assert.deepEqual(
      tail.map((p) => (p.kind === 'data' ? p.data.toString() : p.kind)),
      ['\n'],
    );
    assert.deepEqual(
      s.push(Buffer.from('\nSELECT 1;\n')).map((p) => p.kind),
      ['copyEnd'],
    );
    assert.deepEqual(
      s.end().map((p) => (p.kind === 'sql' ? p.text.toString() : p.kind)),
      ['SELECT 1;\n'],
    );
  });

  it('takes \\. as the last bytes of the script for the end of the rows, as the scanner and the server do', () => {
    for (const end of ['\\.', '\\.\r']) {
      everySize(`COPY t (a) FROM stdin;\n1\n${end}`, (events) => {
        assert.deepEqual(events, [{ sql: 'COPY t (a) FROM stdin;\n', copy: true }, { data: '1\n' }, { copyEnd: true }]);
      });
    }
  });

  it('refuses what only psql can run, before sending it', () => {
    const cases: [string, RegExp][] = [
      ['SELECT 1;\n\\connect other\nSELECT 2;\n', /\\connect/],
      ["SET standard_conforming_strings = 'off';\nSELECT 'a\\';\n", /standard_conforming_strings/],
      ['SET standard_conforming_strings TO off;\n', /standard_conforming_strings/],
      ['COPY t TO STDOUT;\n', /COPY TO STDOUT/],
      ['COPY t (a) FROM stdin; SELECT 1;\n1\n\\.\n', /same line/],
    ];
    for (const [text, message] of cases) {
      for (const size of [1, 4, 1 << 20]) {
        assert.throws(
          () => split(text, size),
          (err: Error) => err instanceof UnsupportedScriptError && message.test(err.message),
          `${JSON.stringify(text)} at ${size}`,
        );
      }
    }
  });

  it('calls a script that stops inside COPY rows or a quote incomplete, not unsupported', () => {
    for (const [text, message] of [
      ['COPY t (a) FROM stdin;\n1\n2\n', /inside the rows of a COPY/],
      ["SELECT 'open\n", /inside a quoted string/],
    ] as [string, RegExp][]) {
      for (const size of [1, 4, 1 << 20]) {
        assert.throws(
          () => split(text, size),
          (err: Error) => err instanceof IncompleteScriptError && message.test(err.message),
          `${JSON.stringify(text)} at ${size}`,
        );
      }
    }
  });

  it('does not take $1, a$b or an identifier ending in E for quotes', () => {
    const text = "PREPARE p AS SELECT $1;\nSELECT a$b FROM t WHERE name = 'x;';\nSELECT 1 AS e, TYPE'x\\';\nSELECT 2;\n";
    everySize(text, (events) => {
      assert.deepEqual(events, [{ sql: text, copy: false }]);
    });
  });

  it('short scripts of every tricky piece come out the same at every cut into two and three chunks', () => {
    // Exhaustive where the property test samples: each byte boundary, and each pair of them.
    const scripts = [
      'SELECT "a""b;c", \'x\' FROM "t;";\nCOPY t (a) FROM stdin;\n1\n\\.\rx\n\\.\r\n',
      'SELECT $tag$ x; $tag$, $1, $a, $$;$$;\nCOPY t (a) FROM stdin;\n\\\n\\.',
      'COPY t (a) FROM stdin;\r\n\\x\r\n\\.\r\nSELECT 1;',
      // A string of over 64 bytes and a quoted name, each going on past its line.
      `INSERT INTO "two\nlines" VALUES ('${'s'.repeat(70)}\n;');`,
    ];
    for (const text of scripts) {
      const whole = split(text, 1 << 20);
      const n = Buffer.byteLength(text);
      for (let a = 1; a < n; a++) {
        assert.deepEqual(splitBy(text, [a, n]), whole, `cut at ${a}`);
        for (let b = 1; a + b < n; b++) assert.deepEqual(splitBy(text, [a, b, n]), whole, `cuts at ${a} and ${a + b}`);
      }
    }
  });

  describe('chunking (property, fast-check)', () => {
    // fast-check prints the seed and path of a failure; FC_SEED=<seed> FC_PATH=<path> replays it.
    /** What the splitter makes of a script: its events, or the error it refuses it with. */
    const outcome = (text: string, sizes: number[]) => {
      try {
        return { events: splitBy(text, sizes) };
      } catch (err) {
        return { error: `${(err as Error).name}: ${(err as Error).message}` };
      }
    };
    const sizes = fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 8 });
    // Pieces where a cut is most likely to matter: quotes, dollar quotes, comments, COPY ends,
    // backslashes and multi-byte characters.
    const fragment = fc.constantFrom(
      'SELECT 1;',
      ' ',
      '\n',
      ';',
      "'a;b'",
      "E'it\\'s;'",
      '$$x;$$',
      '$_$ ; $_$',
      '$a$',
      '-- c;\n',
      '/* ; /* n */ ; */',
      '"q;"',
      'COPY t (a) FROM stdin;\n',
      '1\tä\n',
      '\\.\n',
      '\\.',
      '\r\n',
      'é€😀',
      '\\connect x\n',
      'BEGIN;',
      'END;',
    );

    it('the pg_dump script comes out the same wherever the chunks are cut', () => {
      const whole = outcome(DUMP, [1 << 30]);
      assert.ok('events' in whole);
      fc.assert(
        fc.property(sizes, (cuts) => {
          assert.deepEqual(outcome(DUMP, cuts), whole);
        }),
        { numRuns: 300, ...replay },
      );
    });

    it('any script of tricky pieces: the same events, or the same refusal, wherever the chunks are cut', () => {
      fc.assert(
        fc.property(
          fc.array(fragment, { maxLength: 40 }).map((xs) => xs.join('')),
          sizes,
          (text, cuts) => {
            assert.deepEqual(outcome(text, cuts), outcome(text, [1 << 30]));
          },
        ),
        { numRuns: 1000, ...replay },
      );
    });
  });
});
