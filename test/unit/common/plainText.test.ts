import * as assert from 'node:assert/strict';
import { notificationText, plainText } from '../../../src/core/common';

describe('notification text', () => {
  it('a message without a full stop is closed before its hint', () => {
    assert.equal(
      notificationText('Cannot decrypt x.sql.gz.age: wrong passphrase or key', 'The passphrase is checked before anything is written.'),
      'Cannot decrypt x.sql.gz.age: wrong passphrase or key. The passphrase is checked before anything is written.',
    );
    assert.equal(notificationText('Done.', 'Next.'), 'Done. Next.');
    assert.equal(notificationText('Done?'), 'Done?');
    assert.equal(
      notificationText('wrong passphrase or key', 'The passphrase is checked first.'),
      'Wrong passphrase or key. The passphrase is checked first.',
    );
  });

  it('backtick-quoted commands show in quotes, not as literal backticks', () => {
    assert.equal(plainText('Start it with `docker compose up -d`.'), 'Start it with "docker compose up -d".');
    assert.equal(
      notificationText('Key file readable by others.', 'Run `chmod 600 /k`.'),
      'Key file readable by others. Run "chmod 600 /k".',
    );
    assert.ok(!notificationText('a `b`', 'c `d` e `f`').includes('`'));
  });
});
