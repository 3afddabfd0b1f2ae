import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  generateAgeKeyPair,
  parseAgeIdentity,
  parseAgeRecipient,
  unwrapScrypt,
  unwrapX25519,
  wrapScrypt,
  wrapX25519,
  encodeBase64NoPad,
  CryptoError,
} from '../../../src/core/crypto';

async function failsWith(code: string, run: () => unknown): Promise<void> {
  await assert.rejects(
    async () => run(),
    (err: Error) => {
      assert.ok(err instanceof CryptoError, String(err));
      assert.equal(err.code, code, err.message);
      return true;
    },
  );
}

describe('age recipient stanzas (hostile stanzas)', () => {
  const pair = generateAgeKeyPair();
  const identity = parseAgeIdentity(pair.identity);
  const fileKey = randomBytes(16);

  it('X25519: unwraps its own stanza, and says "not mine" (undefined) for another recipient\'s', () => {
    const stanza = wrapX25519(fileKey, parseAgeRecipient(pair.recipient));
    assert.deepEqual(unwrapX25519(stanza, identity), fileKey);
    assert.equal(unwrapX25519(stanza, parseAgeIdentity(generateAgeKeyPair().identity)), undefined);
  });

  it('X25519: refuses an all-zero recipient key, which would make every shared secret zero', async () => {
    await failsWith('bad-key', () => wrapX25519(fileKey, Buffer.alloc(32)));
  });

  it('X25519: a stanza with the wrong arguments, share or body length is tampered; so is a zero share', async () => {
    const stanza = wrapX25519(fileKey, parseAgeRecipient(pair.recipient));
    await failsWith('tampered', () => unwrapX25519({ ...stanza, args: [] }, identity));
    await failsWith('tampered', () => unwrapX25519({ ...stanza, args: [...stanza.args, 'x'] }, identity));
    await failsWith('tampered', () => unwrapX25519({ ...stanza, args: ['!!'] }, identity));
    await failsWith('tampered', () => unwrapX25519({ ...stanza, args: [encodeBase64NoPad(randomBytes(31))] }, identity));
    await failsWith('tampered', () => unwrapX25519({ ...stanza, body: stanza.body.subarray(1) }, identity));
    await failsWith('tampered', () => unwrapX25519({ ...stanza, args: [encodeBase64NoPad(Buffer.alloc(32))] }, identity));
  });

  it('scrypt: a stanza with the wrong arguments, salt, work factor or body length is tampered', async () => {
    const stanza = await wrapScrypt(fileKey, 'pass', 2);
    assert.deepEqual(await unwrapScrypt(stanza, 'pass'), fileKey);
    assert.equal(await unwrapScrypt(stanza, 'wrong'), undefined);
    const [salt] = stanza.args;
    for (const args of [
      [salt],
      [salt, '2', 'x'],
      ['!!', '2'],
      [encodeBase64NoPad(randomBytes(15)), '2'],
      [salt, '02'],
      [salt, '0'],
      [salt, '-1'],
      [salt, '2.5'],
    ]) {
      await failsWith('tampered', () => unwrapScrypt({ ...stanza, args }, 'pass'));
    }
    await failsWith('tampered', () => unwrapScrypt({ ...stanza, body: Buffer.concat([stanza.body, Buffer.alloc(1)]) }, 'pass'));
  });

  it('scrypt: refuses to write a work factor outside 1 to 20', async () => {
    for (const logN of [0, 21, 1.5, Number.NaN]) await failsWith('bad-key', () => wrapScrypt(fileKey, 'pass', logN));
  });
});
