import * as assert from 'node:assert/strict';
import { named } from '../../../src/core/encryption';
import { CryptoError } from '../../../src/core/crypto';
import { CancelledError, LifeboatError } from '../../../src/core/common';

describe('named: errors about a backup name the file', () => {
  const name = 'sms_backup_20260101_000000.sql.gz.age';

  it('a crypto error gets the file name in front, once, keeping its code and hint', () => {
    const e = named(new CryptoError('tampered', 'the header MAC does not match', 'Use another copy.'), name) as CryptoError;
    assert.equal(e.message, `"${name}": the header MAC does not match`);
    assert.deepEqual([e.code, e.hint], ['tampered', 'Use another copy.']);
    assert.equal(named(e, name), e, 'already named: unchanged');
  });

  it('Lifeboat errors and cancels pass unchanged; file-system errors say the file cannot be read', () => {
    const lb = new LifeboatError('something clear');
    assert.equal(named(lb, name), lb);
    const cancel = new CancelledError();
    assert.equal(named(cancel, name), cancel);
    const abort = Object.assign(new Error('aborted'), { name: 'AbortError' });
    assert.equal(named(abort, name), abort);
    assert.equal(
      named(Object.assign(new Error('EIO: i/o error'), { code: 'EIO' }), name).message,
      `Cannot read the backup (${name}): EIO: i/o error`,
    );
  });

  it('other errors pass as they are, and a thrown non-error becomes one', () => {
    const other = Object.assign(new Error('zlib said no'), { code: 'Z_DATA_ERROR' });
    assert.equal(named(other, name), other);
    const e = named(42, name);
    assert.ok(e instanceof Error);
    assert.equal(e.message, '42');
  });
});
