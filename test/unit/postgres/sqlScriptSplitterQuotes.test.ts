import * as assert from 'node:assert/strict';
import { ScriptPiece, SqlScriptSplitter, UnsupportedScriptError } from '../../../src/core/postgres';

/** The SQL text the splitter sends, joined, fed in chunks of `size` bytes. */
function sqlOf(text: string, size: number): { sql: string; pieces: number } {
  const s = new SqlScriptSplitter();
  const buf = Buffer.from(text);
  const pieces: ScriptPiece[] = [];
  for (let i = 0; i < buf.length; i += size) pieces.push(...s.push(Buffer.from(buf.subarray(i, i + size))));
  pieces.push(...s.end());
  return { sql: pieces.map((p) => (p.kind === 'sql' ? p.text.toString() : '')).join(''), pieces: pieces.length };
}

const SIZES = [1, 2, 3, 5, 8, 1 << 20];

describe('SqlScriptSplitter: quotes inside SET statements and identifiers', () => {
  it('a SET with doubled quotes or an E-string escape is sent whole, and only "off" for the setting itself is refused', () => {
    const text =
      "SET application_name = 'it''s; fine';\nSET application_name = E'a\\'b''c; \\\\';\nSET search_path = \"my\"\"schema;\", public;\nSELECT 1;\n";
    for (const size of SIZES) assert.equal(sqlOf(text, size).sql, text, `size ${size}`);
    for (const size of SIZES) {
      assert.throws(() => sqlOf("SET SESSION standard_conforming_strings TO 'off';\n", size), UnsupportedScriptError);
      assert.equal(
        sqlOf("SET application_name = E'standard_conforming_strings = off';\n", size).sql,
        "SET application_name = E'standard_conforming_strings = off';\n",
      );
    }
  });

  it("a psql command after leading blanks is still psql's; a backslash inside a statement is not", () => {
    for (const size of SIZES) {
      assert.equal(sqlOf('  \t\\restrict key\nSELECT 1;\n', size).sql, 'SELECT 1;\n');
      assert.throws(
        () => sqlOf('SELECT 1;\n   \\gexec\n', size),
        (err: Error) => err instanceof UnsupportedScriptError && /\\gexec/.test(err.message),
      );
    }
  });

  it('a quoted identifier with a doubled quote and a semicolon stays one statement', () => {
    const text = 'CREATE TABLE public."a""b;c" (id integer);\nSELECT 2;\n';
    for (const size of SIZES) assert.equal(sqlOf(text, size).sql, text);
  });

  it('a script of blanks and comments only sends nothing that needs an answer', () => {
    for (const size of SIZES) {
      const r = sqlOf('\n\n-- only a comment\n\n', size);
      assert.equal(
        r.sql
          .trim()
          .replace(/^--.*$/m, '')
          .trim(),
        '',
      );
    }
  });
});
