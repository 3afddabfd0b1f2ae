import * as assert from 'node:assert/strict';
import { formatShortAge } from '../../src/core/format';
import { backupPrefix } from '../../src/core/naming';
import { ScramClient } from '../../src/core/pgScram';

describe('small edges: status-bar ages, an empty prefix, a server final without a signature', () => {
  it('formatShortAge switches to days at 48 hours', () => {
    const now = new Date('2026-02-10T12:00:00Z');
    assert.equal(formatShortAge(new Date(now.getTime() - 47 * 3_600_000), now), '47h');
    assert.equal(formatShortAge(new Date(now.getTime() - 72 * 3_600_000), now), '3d');
  });

  it('an empty prefix becomes "db", so a file name never starts with "_backup"', () => {
    assert.equal(backupPrefix(''), 'db');
  });

  it('a SCRAM server final without a signature is refused as unproven', () => {
    const nonce = 'rOprNGfwEbeRWgbNEkqO';
    const c = new ScramClient('pencil', nonce, 'user');
    c.clientFirst();
    c.clientFinal(`r=${nonce}%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096`);
    assert.throws(() => c.checkServerFinal('x=1'), /could not prove it knows the password/);
  });
});
