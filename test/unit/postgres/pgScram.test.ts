import * as assert from 'node:assert/strict';
import { ScramClient } from '../../../src/core/postgres';

// The SCRAM-SHA-256 exchange printed in RFC 7677, section 3 (user "user", password "pencil").
const NONCE = 'rOprNGfwEbeRWgbNEkqO';
const SERVER_FIRST = 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096';
const CLIENT_FINAL = 'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=';
const SERVER_FINAL = 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=';

describe('ScramClient', () => {
  it("replays RFC 7677's exchange: the same proof, and the server's signature accepted", () => {
    const c = new ScramClient('pencil', NONCE, 'user');
    assert.equal(c.clientFirst(), `n,,n=user,r=${NONCE}`);
    assert.equal(c.clientFinal(SERVER_FIRST), CLIENT_FINAL);
    c.checkServerFinal(SERVER_FINAL);
  });

  it('refuses a server that does not know the password, or that sends an error', () => {
    const c = new ScramClient('pencil', NONCE, 'user');
    c.clientFinal(SERVER_FIRST);
    assert.throws(() => c.checkServerFinal('v=AAAATRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4='), /could not prove/);
    assert.throws(() => c.checkServerFinal('e=invalid-proof'), /invalid-proof/);
    const wrong = new ScramClient('not pencil', NONCE, 'user');
    assert.notEqual(wrong.clientFinal(SERVER_FIRST), CLIENT_FINAL);
    assert.throws(() => wrong.checkServerFinal(SERVER_FINAL), /could not prove/);
  });

  it('refuses a challenge whose nonce does not extend its own', () => {
    const c = new ScramClient('pencil', NONCE, 'user');
    assert.throws(() => c.clientFinal('r=someoneElse,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096'), /invalid SCRAM challenge/);
    assert.throws(() => c.clientFinal(`r=${NONCE},s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096`), /invalid SCRAM challenge/);
    assert.throws(() => c.clientFinal(`r=${NONCE}x,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=0`), /invalid SCRAM challenge/);
  });
});
