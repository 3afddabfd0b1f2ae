import * as assert from 'node:assert/strict';
import { createCipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { AgeDecrypt, CryptoError, encodeAgeHeader, generateAgeKeyPair, parseAgeRecipient, wrapX25519 } from '../../../src/core/crypto';
import { KiB64, runTransform } from './streamHelpers';

/*
 * The payload is built here from the age spec (HKDF-SHA256 payload key, STREAM nonces of an
 * 11-byte big-endian counter and a last-chunk flag), not with Lifeboat's own sealing, so the
 * hostile file is one another writer could produce.
 */
function seal(key: Buffer, counter: number, last: boolean, plain: Buffer): Buffer {
  const nonce = Buffer.alloc(12);
  nonce.writeUIntBE(counter, 5, 6);
  nonce[11] = last ? 1 : 0;
  const cipher = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
  return Buffer.concat([cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
}

function ageFile(recipient: string, chunks: Buffer[]): Buffer {
  const fileKey = randomBytes(16);
  const header = encodeAgeHeader([wrapX25519(fileKey, parseAgeRecipient(recipient))], fileKey);
  const nonce = randomBytes(16);
  const key = Buffer.from(hkdfSync('sha256', fileKey, nonce, 'payload', 32));
  return Buffer.concat([header, nonce, ...chunks.map((c, i) => seal(key, i, i === chunks.length - 1, c))]);
}

describe('age: an empty last chunk after full ones', () => {
  const keys = generateAgeKeyPair();

  it('a full chunk then a one-byte last chunk decrypts: the hand-built payload follows the spec', async () => {
    const first = randomBytes(KiB64);
    const { out, err } = await runTransform(
      new AgeDecrypt({ identities: [keys.identity] }),
      ageFile(keys.recipient, [first, Buffer.from('x')]),
    );
    assert.equal(err, undefined, String(err));
    assert.ok(out.equals(Buffer.concat([first, Buffer.from('x')])));
  });

  it('a full chunk then an empty last chunk is refused as tampered: only an empty payload may end in an empty chunk', async () => {
    const { out, err } = await runTransform(
      new AgeDecrypt({ identities: [keys.identity] }),
      ageFile(keys.recipient, [randomBytes(KiB64), Buffer.alloc(0)]),
    );
    assert.ok(err instanceof CryptoError, String(err));
    assert.equal(err.code, 'tampered');
    assert.ok(out.length <= KiB64, 'nothing past the verified first chunk is given out');
  });
});
