import * as assert from 'node:assert/strict';
import { parseJsonc } from '../../../src/cli/jsonc';

describe('parseJsonc (settings.json as VS Code writes it)', () => {
  it('drops line and block comments and trailing commas, keeps // and /* inside strings', () => {
    const text = `{
      // the project
      "lifeboat.app.healthUrl": "http://127.0.0.1:8000/health", /* block */
      "lifeboat.note": "a /* not a comment */ and \\"quoted // text\\"",
      "lifeboat.config.paths": ["docker-compose.yml", ".env",],
    }`;
    assert.deepEqual(parseJsonc(text), {
      'lifeboat.app.healthUrl': 'http://127.0.0.1:8000/health',
      'lifeboat.note': 'a /* not a comment */ and "quoted // text"',
      'lifeboat.config.paths': ['docker-compose.yml', '.env'],
    });
  });

  it('a comma inside a string before a bracket is kept', () => {
    assert.deepEqual(parseJsonc('{"a": ", }"}'), { a: ', }' });
  });

  it('broken JSON still throws', () => {
    assert.throws(() => parseJsonc('{"a": }'));
    assert.throws(() => parseJsonc(''), /Value expected/);
  });

  it('a UTF-8 byte order mark first is skipped, as VS Code skips it', () => {
    assert.deepEqual(parseJsonc('\ufeff{\n  // saved by a Windows editor\n  "lifeboat.backupDir": "D:/backups",\n}'), {
      'lifeboat.backupDir': 'D:/backups',
    });
  });

  it('an error names the line and column of the file as written, comments and all', () => {
    const text = ['{', '  /* a block comment', '     over two lines */ "a": 1, // and a line comment', '  "b": /* here */ }', '}'].join(
      '\n',
    );
    assert.throws(
      () => parseJsonc(text),
      (err: Error) => err instanceof SyntaxError && err.message === 'Value expected at line 4, column 19',
    );
    // The same with a byte order mark: it takes no column, as in the editor's status bar.
    assert.throws(() => parseJsonc(`\ufeff${text}`), { message: 'Value expected at line 4, column 19' });
    assert.throws(() => parseJsonc('{"a": 1 "b": 2}'), { message: 'Comma expected at line 1, column 9' });
    assert.throws(() => parseJsonc('{\r\n  "a": [1, 2\r\n}'), { message: 'Comma expected at line 3, column 1' });
  });

  it('a "__proto__" key is a plain own key, as JSON.parse makes it', () => {
    const parsed = parseJsonc('{"__proto__": {"polluted": true}, "a": 1}') as Record<string, unknown>;
    assert.deepEqual(Object.keys(parsed), ['__proto__', 'a']);
    assert.equal(Object.getPrototypeOf(parsed), Object.prototype);
    assert.equal((parsed as { polluted?: boolean }).polluted, undefined);
    assert.deepEqual(parsed, JSON.parse('{"__proto__": {"polluted": true}, "a": 1}'));
  });

  it('reads plain JSON exactly as JSON.parse does (escapes, numbers, nesting, repeated keys)', () => {
    const text =
      '{"s": "tab\\t \\u00e9 \\ud83d\\ude00", "n": [-1.5e3, 0, 12345678901234567890], "o": {"x": null, "y": [true, false]}, "s": "later wins"}';
    assert.deepEqual(parseJsonc(text), JSON.parse(text));
  });
});
