import * as assert from 'node:assert/strict';
import { parseJsonc } from '../../src/cli/jsonc';

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
  });
});
