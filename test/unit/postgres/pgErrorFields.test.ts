import * as assert from 'node:assert/strict';
import { PgServerError, errorFields } from '../../../src/core/postgres';

/** An ErrorResponse body: one-letter codes, each value NUL-ended, then a final NUL. */
const body = (fields: [string, string][], end = '\0') => Buffer.from(fields.map(([k, v]) => `${k}${v}\0`).join('') + end, 'utf8');

describe('ErrorResponse fields and the error built from them (issue 13)', () => {
  it('reads every field up to the final NUL', () => {
    assert.deepEqual(
      errorFields(
        body([
          ['S', 'FEHLER'],
          ['V', 'ERROR'],
          ['C', '42P01'],
          ['M', 'relation "x" does not exist'],
        ]),
      ),
      {
        S: 'FEHLER',
        V: 'ERROR',
        C: '42P01',
        M: 'relation "x" does not exist',
      },
    );
  });

  it('a body cut inside a field keeps the whole fields before it and drops the cut one', () => {
    const cut = Buffer.concat([
      body(
        [
          ['S', 'ERROR'],
          ['C', '57P01'],
        ],
        '',
      ),
      Buffer.from('Mterminating conn', 'utf8'),
    ]);
    assert.deepEqual(errorFields(cut), { S: 'ERROR', C: '57P01' });
  });

  it('the message prefers the untranslated severity, then the localised one, then says ERROR', () => {
    assert.equal(new PgServerError({ S: 'FEHLER', V: 'ERROR', M: 'boom' }).message, 'ERROR:  boom');
    assert.equal(new PgServerError({ S: 'FATAL', M: 'boom' }).message, 'FATAL:  boom');
    assert.equal(new PgServerError({ M: 'boom' }).message, 'ERROR:  boom');
  });

  it('a server error without a message says so instead of printing "undefined"', () => {
    const err = new PgServerError(errorFields(body([['C', 'XX000']])));
    assert.equal(err.message, 'ERROR:  unknown error');
    assert.equal(err.fields.C, 'XX000');
    assert.equal(err.name, 'PgServerError');
  });
});
