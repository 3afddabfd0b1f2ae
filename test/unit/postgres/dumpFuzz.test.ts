import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { DumpScanner } from '../../../src/core/database';
import { IncompleteScriptError, ScriptPiece, SqlScriptSplitter } from '../../../src/core/postgres';
import { replay, seeded, uniform } from '../../support/fcRandom';

/**
 * Generated pg_dump-like scripts, read by the scanner (the check's counts) and by the splitter
 * (the direct load), each fed in its own random chunks: both must agree with each other and
 * with a plain line-by-line reader. The generator keeps to what that reader can follow: no
 * line inside a string, a function body or a comment starts with `COPY ` or with the end
 * marker (the scanner does not lex SQL, by design).
 * fast-check prints the seed of a failure; FC_SEED=<seed> repeats the run.
 */

function generate(r: () => number): string {
  const int = (n: number) => Math.floor(r() * n);
  const pick = <T>(xs: T[]): T => xs[int(xs.length)];
  const eol = r() < 0.3 ? '\r\n' : '\n';
  const lines: string[] = [];
  const long = () => (r() < 0.05 ? 100_000 + int(400_000) : int(40));
  const text = (n: number) => {
    let s = '';
    while (s.length < n) s += pick(['a', 'b', ' ', ';', '--', '/*', '*/', '$$', '\\', 'é', '"', 'x'.repeat(50), 'COPY x FROM stdin;']);
    return s;
  };
  const key = `K${int(1e9)}`;
  lines.push('--', '-- PostgreSQL database dump', '--', '');
  if (r() < 0.5) lines.push(`\\restrict ${key}`, '');
  const head = lines.join(eol).length;
  lines.push(
    '-- Dumped from database version 15.8',
    '-- Dumped by pg_dump version 15.8',
    '',
    'SET standard_conforming_strings = on;',
    "SELECT pg_catalog.set_config('search_path', '', false);",
  );
  let tables = 0;
  for (let n = 3 + int(15); n > 0; n--) {
    switch (int(7)) {
      case 0: {
        const cols = 1 + int(200);
        lines.push(
          `CREATE TABLE public.t${tables} (`,
          ...Array.from({ length: cols }, (_, i) => `    col_${i}_${'w'.repeat(int(25))} text${i < cols - 1 ? ',' : ''}`),
          ');',
        );
        break;
      }
      case 1: {
        const tag = pick(['$_$', '$body$']);
        const body = Array.from({ length: 1 + int(8) }, () =>
          pick([
            'BEGIN',
            "  RETURN 'x;y';",
            '  -- not a comment; really',
            '\\.',
            '  PERFORM 1; /* ; */',
            `  x := '${text(long())}';`,
            '  SELECT $1, $q$ $q$;',
            " it's",
          ]),
        );
        lines.push(`CREATE FUNCTION public.f${int(100)}() RETURNS text LANGUAGE plpgsql AS ${tag}`, ...body, `END ${tag};`);
        break;
      }
      case 2: {
        // A string may run over several lines; none of them starts with COPY.
        const value = text(long()).replace(/'/g, "''");
        const parts = value.split(' ');
        lines.push(`INSERT INTO public.t VALUES (${int(1000)}, '${parts.join(r() < 0.3 ? eol + 'x' : ' ')}', E'it\\'s; \\\\');`);
        break;
      }
      case 3:
        lines.push(`/* a comment; ${text(int(30)).replace(/\*\/|\/\*/g, '')}`, ' still; it */ SELECT 1;');
        break;
      case 4:
        lines.push('');
        break;
      default: {
        const alembic = r() < 0.2;
        const name = alembic
          ? 'public.alembic_version'
          : pick([`public.t${tables}`, `public."Odd ""Name"" ${tables}"`, `"s p"."t${tables}"`]);
        tables++;
        const wide = r() < 0.3;
        const width = alembic ? 1 : 1 + int(wide ? 300 : 5);
        const columns = alembic
          ? 'version_num'
          : Array.from({ length: width }, (_, i) => `column_name_number_${i}_${'z'.repeat(int(10))}`).join(', ');
        lines.push(`COPY ${name} (${columns}) FROM stdin;`);
        const rows = !wide && r() < 0.1 ? 500 + int(2000) : int(20);
        for (let i = 0; i < rows; i++) {
          if (alembic) {
            lines.push(int(1e12).toString(16).padStart(12, '0'));
            continue;
          }
          const fields = Array.from({ length: width }, () =>
            pick(['1', '\\N', '\\\\.', 'a\\tb', 'x\\ny', '\\\\', 'é', 'v'.repeat(int(40)), '\\.x', '.\\.']),
          );
          // Now and then one value of up to 1.7 MB: a row far longer than any chunk.
          if (r() < 0.02) fields[int(width)] = 'v'.repeat(long());
          lines.push(fields.join('\t'));
        }
        lines.push('\\.');
      }
    }
  }
  if (r() < 0.8) lines.push('', '--', '-- PostgreSQL database dump complete', '--', '');
  let script = lines.join(eol);
  // Some scripts are cut off anywhere after their psql lines, as a dump whose pg_dump did not
  // finish (in a cut `\restrict` the splitter would rightly see a psql command it does not know).
  if (r() < 0.25) return script.slice(0, head + int(script.length - head));
  if (r() < 0.5) script += `${eol}\\unrestrict ${key}`;
  return script + (r() < 0.9 ? eol : '');
}

interface Reference {
  copies: string[];
  /** The rows of each COPY block, as the bytes that follow its header up to the `\.` line. */
  data: string[];
  tables: Record<string, number>;
  heads: string[];
  complete: boolean;
  unterminated?: string;
  /** The script without its COPY rows, `\.` lines and psql's own lines: what goes as SQL. */
  sql: string;
}

/** Line by line, the way a reader of the generated subset can: no lexing of SQL needed. */
function reference(text: string): Reference {
  const ref: Reference = { copies: [], data: [], tables: {}, heads: [], complete: false, sql: '' };
  const lines = text.split('\n');
  let copy: string | undefined;
  let rows = 0;
  lines.forEach((body, i) => {
    const line = i < lines.length - 1 ? `${body}\n` : body;
    if (!line) return;
    const bare = body.endsWith('\r') ? body.slice(0, -1) : body;
    if (copy !== undefined) {
      if (bare === '\\.') {
        // A block counts once it is whole.
        ref.copies.push(copy);
        ref.tables[copy] = (ref.tables[copy] ?? 0) + rows;
        copy = undefined;
        return;
      }
      ref.data[ref.data.length - 1] += line;
      rows++;
      // Alembic values are read as they come, whole block or not.
      if (copy.endsWith('alembic_version')) ref.heads.push(bare.split('\t')[0]);
      return;
    }
    if (/^\\(un)?restrict /.test(bare)) return;
    ref.sql += line;
    const header = /^COPY ((?:"(?:[^"]|"")*"|[^ ."(])+(?:\.(?:"(?:[^"]|"")*"|[^ ."(]+))?) \(.*\) FROM stdin;$/.exec(bare);
    if (header) {
      copy = header[1];
      rows = 0;
      ref.data.push('');
    } else if (bare.startsWith('-- PostgreSQL database dump complete')) ref.complete = true;
  });
  ref.unterminated = copy;
  return ref;
}

/** Where a stream would cut `length` bytes into chunks: now and then a few bytes, mostly more. */
function cuts(length: number, r: () => number): number[] {
  const out: number[] = [];
  const max = pickMax(r);
  for (let i = 0; i < length;) {
    i += 1 + Math.floor(r() * max);
    out.push(Math.min(i, length));
  }
  return out;
}

function chunks(buf: Buffer, at: number[]): Buffer[] {
  return at.map((end, i) => buf.subarray(i ? at[i - 1] : 0, end));
}

function pickMax(r: () => number): number {
  const x = r();
  return x < 0.1 ? 7 : x < 0.4 ? 4096 : 300_000;
}

interface Split {
  error?: Error;
  sql: string;
  copyHeaders: number;
  data: string[];
}

/** Pieces joined before decoding: a character may be cut between two of them. */
function joined(parts: Buffer[]): string {
  return Buffer.concat(parts).toString();
}

function split(buf: Buffer, at: number[]): Split {
  const s = new SqlScriptSplitter();
  const pieces: ScriptPiece[] = [];
  const result: Split = { sql: '', copyHeaders: 0, data: [] };
  try {
    // Each chunk is a fresh copy, as a stream's would be.
    for (const c of chunks(buf, at)) pieces.push(...s.push(Buffer.from(c)));
    pieces.push(...s.end());
  } catch (err) {
    result.error = err as Error;
  }
  let inData = false;
  const sql: Buffer[] = [];
  const data: Buffer[][] = [];
  for (const p of pieces) {
    if (p.kind === 'sql') {
      assert.ok(!inData, 'SQL inside COPY rows');
      sql.push(p.text);
      if (p.copy) {
        result.copyHeaders++;
        data.push([]);
        inData = true;
      }
    } else if (p.kind === 'data') {
      assert.ok(inData, 'rows outside a COPY');
      data[data.length - 1].push(p.data);
    } else {
      assert.ok(inData, 'a COPY end outside a COPY');
      inData = false;
    }
  }
  result.sql = joined(sql);
  result.data = data.map(joined);
  return result;
}

interface Case {
  text: string;
  scannerCuts: number[];
  splitterCuts: number[];
}

const scripts: fc.Arbitrary<Case> = fc.gen().map((g) => {
  const text = generate(uniform(g));
  const length = Buffer.byteLength(text);
  const c: Case = { text, scannerCuts: cuts(length, seeded(g)), splitterCuts: cuts(length, seeded(g)) };
  // A script may be megabytes: a failure shows its ends and its chunking, FC_SEED rebuilds the rest.
  return Object.assign(c, {
    [fc.toStringMethod]: () =>
      `script of ${length} bytes, ${c.scannerCuts.length} chunks to the scanner, ${c.splitterCuts.length} to the splitter:\n${JSON.stringify(text.slice(0, 300))}\n…\n${JSON.stringify(text.slice(-300))}`,
  });
});

/** About 60 scripts, a few seconds; the limit keeps a slow machine from running long. */
const RUNS = 60;
const BUDGET_MS = 8000;

describe('DumpScanner and SqlScriptSplitter on generated scripts (property, fast-check)', () => {
  it('agree with each other and with a line-by-line reader', function () {
    this.timeout(60_000);
    let runs = 0;
    const started = Date.now();
    fc.assert(
      fc.property(scripts, ({ text, scannerCuts, splitterCuts }) => {
        runs++;
        const buf = Buffer.from(text);
        const ref = reference(text);

        const scanner = new DumpScanner();
        for (const c of chunks(buf, scannerCuts)) scanner.write(Buffer.from(c));
        const facts = scanner.end();
        assert.deepEqual(facts.copies, ref.copies);
        assert.deepEqual(facts.tables, ref.tables);
        assert.deepEqual(facts.alembicHeads, ref.heads);
        assert.equal(facts.complete, ref.complete);
        assert.equal(facts.unterminatedCopy, ref.unterminated);
        assert.equal(facts.bytes, buf.length);

        const got = split(buf, splitterCuts);
        if (got.error) {
          assert.ok(got.error instanceof IncompleteScriptError, got.error.message);
          // Cut off inside rows: the scanner says so too. Inside a string: only the splitter lexes.
          assert.equal(/inside the rows of a COPY/.test(got.error.message), ref.unterminated !== undefined, got.error.message);
          return;
        }
        assert.equal(ref.unterminated, undefined);
        assert.equal(got.copyHeaders, ref.copies.length);
        // Rows byte for byte, then their count per table as the scanner made it.
        assert.deepEqual(got.data, ref.data);
        const rows: Record<string, number> = {};
        got.data.forEach((d, i) => (rows[ref.copies[i]] = (rows[ref.copies[i]] ?? 0) + (d.match(/\n/g)?.length ?? 0)));
        assert.deepEqual(rows, facts.tables);
        assert.ok(got.sql === ref.sql, 'the SQL sent differs from the SQL of the script');
      }),
      { numRuns: RUNS, plugins: [fc.interruptAfterTimeLimit(BUDGET_MS)], ...replay },
    );
    console.log(`      ${runs} scripts in ${Date.now() - started} ms`);
    // The time limit counts a cut-short run as a pass: too few scripts would be a pass that tested little.
    assert.ok(runs >= 20, `only ${runs} scripts within the budget`);
  });
});
