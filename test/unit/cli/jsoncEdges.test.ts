import * as assert from 'node:assert/strict';
import { parseJsonc } from '../../../src/cli/jsonc';

describe('parseJsonc edges', () => {
  it('a block comment left open runs to the end of the file, as in VS Code', () => {
    assert.deepEqual(parseJsonc('{"a": 1} /* never closed'), { a: 1 });
  });

  it('escaped quotes and backslashes inside strings survive the trailing-comma pass', () => {
    assert.deepEqual(parseJsonc('{"p": "C:\\\\dir\\\\", "q": "say \\"hi\\",]", }'), { p: 'C:\\dir\\', q: 'say "hi",]' });
  });

  it('a string cut off by the end of the file is a JSON error, not a hang', () => {
    assert.throws(() => parseJsonc('{"a": "abc\\'), SyntaxError);
  });
});
