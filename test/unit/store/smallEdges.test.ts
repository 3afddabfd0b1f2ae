import * as assert from 'node:assert/strict';
import { backupPrefix } from '../../../src/core/store';
import { ScramClient } from '../../../src/core/postgres';

describe('small edges: an empty prefix, a server final without a signature', () => {
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
