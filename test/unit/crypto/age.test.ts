import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  AgeDecrypt,
  AgeEncrypt,
  generateAgeKeyPair,
  CryptoError,
  encodeAgeHeader,
  parseAgeRecipient,
  wrapScrypt,
  wrapX25519,
} from '../../../src/core/crypto';
import { LifeboatError } from '../../../src/core/common';
import { replay } from '../../support/fcRandom';
import { KiB64, mustRun, randomBytes, randomPieces, runTransform, sizes } from './streamHelpers';

const SEALED = KiB64 + 16;
/** The sizes the damaged file is written in, taken in turn: drawn, so a failure replays with its cut points. */
const pieceSizes = fc.array(fc.integer({ min: 1, max: 50_000 }), { minLength: 1, maxLength: 6 });

function piecesOf(data: Buffer, sizes: number[]): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0, k = 0; i < data.length; k++) {
    const n = sizes[k % sizes.length];
    out.push(data.subarray(i, i + n));
    i += n;
  }
  return out;
}
// Fast scrypt for tests; the default (18) is tested once below.
const PASS = { passphrase: 'correct horse battery staple', workFactor: 10 };

function codeOf(err: Error | undefined): string | undefined {
  return err instanceof CryptoError ? err.code : undefined;
}

/** Start of the payload: header length (through the MAC line) plus the 16-byte nonce. */
function payloadStart(file: Buffer): number {
  return file.indexOf('\n', file.indexOf('\n---') + 1) + 1 + 16;
}

describe('age encrypt/decrypt', () => {
  const keys = generateAgeKeyPair();

  for (const size of sizes) {
    it(`round-trips ${size} bytes to an X25519 recipient, in random pieces`, async () => {
      const plain = randomBytes(size);
      const enc = await mustRun(new AgeEncrypt({ recipients: [keys.recipient] }), randomPieces(plain));
      const chunks = Math.max(1, Math.ceil(size / KiB64));
      assert.equal(enc.length, payloadStart(enc) + size + chunks * 16);
      const dec = await mustRun(new AgeDecrypt({ identities: [keys.identity] }), randomPieces(enc, 70_000));
      assert.ok(dec.equals(plain));
    });
  }

  it('round-trips with a passphrase, and with byte-by-byte writes', async () => {
    const plain = randomBytes(3000);
    const enc = await mustRun(new AgeEncrypt(PASS), plain);
    assert.match(enc.subarray(0, 80).toString('latin1'), /^age-encryption\.org\/v1\n-> scrypt [A-Za-z0-9+/]{22} 10\n/);
    const bytes = [...enc].map((b) => Buffer.from([b]));
    assert.ok((await mustRun(new AgeDecrypt({ passphrase: PASS.passphrase }), bytes)).equals(plain));
  });

  it('uses work factor 18 by default, like the CLI', async function () {
    this.timeout(60_000);
    const enc = await mustRun(new AgeEncrypt({ passphrase: 'p' }), Buffer.from('x'));
    assert.match(enc.toString('latin1'), /-> scrypt \S+ 18\n/);
    assert.equal((await mustRun(new AgeDecrypt({ passphrase: 'p' }), enc)).toString(), 'x');
  });

  it('lets any of several recipients decrypt', async () => {
    const others = [generateAgeKeyPair(), generateAgeKeyPair()];
    const enc = await mustRun(
      new AgeEncrypt({ recipients: [others[0].recipient, keys.recipient, others[1].recipient] }),
      Buffer.from('shared'),
    );
    for (const k of [keys, ...others])
      assert.equal((await mustRun(new AgeDecrypt({ identities: [k.identity] }), enc)).toString(), 'shared');
  });

  it('refuses a wrong passphrase, a wrong identity and the wrong kind of key', async () => {
    const byPass = await mustRun(new AgeEncrypt(PASS), Buffer.from('secret'));
    const byKey = await mustRun(new AgeEncrypt({ recipients: [keys.recipient] }), Buffer.from('secret'));
    const cases: Array<[AgeDecrypt, Buffer]> = [
      [new AgeDecrypt({ passphrase: 'wrong' }), byPass],
      [new AgeDecrypt({ identities: [generateAgeKeyPair().identity] }), byKey],
      [new AgeDecrypt({ identities: [keys.identity] }), byPass],
      [new AgeDecrypt({ passphrase: PASS.passphrase }), byKey],
    ];
    for (const [decrypt, file] of cases) {
      const { out, err } = await runTransform(decrypt, file);
      assert.ok(err instanceof LifeboatError, String(err));
      assert.equal(err.message, 'wrong passphrase or key');
      assert.ok((err as LifeboatError).hint);
      assert.equal(out.length, 0);
      assert.ok(!err.message.includes('wrong') || !err.message.includes(PASS.passphrase));
    }
  });

  it('refuses a passphrase stanza beside another recipient as tampered: the age spec allows it only alone', async () => {
    const fileKey = randomBytes(16);
    const header = encodeAgeHeader(
      [await wrapScrypt(fileKey, PASS.passphrase, 2), wrapX25519(fileKey, parseAgeRecipient(keys.recipient))],
      fileKey,
    );
    const file = Buffer.concat([header, randomBytes(16 + 32)]);
    for (const decrypt of [new AgeDecrypt({ passphrase: PASS.passphrase }), new AgeDecrypt({ identities: [keys.identity] })]) {
      const { out, err } = await runTransform(decrypt, file);
      assert.equal(codeOf(err), 'tampered', String(err));
      assert.equal(out.length, 0);
    }
  });

  it('a header whose MAC was changed is refused as tampered with the right identity, and gives nothing', async () => {
    const file = await mustRun(new AgeEncrypt({ recipients: [keys.recipient] }), Buffer.from('secret'));
    const at = file.indexOf('\n--- ') + 5;
    const bad = Buffer.from(file);
    bad[at] = bad[at] === 0x41 ? 0x42 : 0x41; // another base64 letter in the MAC
    const { out, err } = await runTransform(new AgeDecrypt({ identities: [keys.identity] }), bad);
    assert.equal(codeOf(err), 'tampered', String(err));
    assert.equal(out.length, 0);
  });

  it('a file key remembered from one file does not open another: it says so, and gives nothing', async () => {
    const first = await mustRun(new AgeEncrypt({ recipients: [keys.recipient] }), Buffer.from('first'));
    const second = await mustRun(new AgeEncrypt({ recipients: [keys.recipient] }), Buffer.from('second'));
    let remembered: Buffer | undefined;
    await mustRun(new AgeDecrypt({ identities: [keys.identity], onFileKey: (k) => (remembered = k) }), first);
    assert.equal((await mustRun(new AgeDecrypt({ fileKey: remembered! }), first)).toString(), 'first');
    const { out, err } = await runTransform(new AgeDecrypt({ fileKey: remembered! }), second);
    assert.equal(codeOf(err), 'wrong-key', String(err));
    assert.equal((err as CryptoError).hint, 'The remembered file key belongs to another file.');
    assert.equal(out.length, 0);
  });

  it('a write that completes several chunks at once comes out whole', async () => {
    const data = randomBytes(3 * KiB64 + 5);
    const enc = await mustRun(new AgeEncrypt({ recipients: [keys.recipient] }), [data]);
    assert.ok((await mustRun(new AgeDecrypt({ identities: [keys.identity] }), [enc])).equals(data));
  });

  it('says "not an age file" for other data, early and without buffering it', async () => {
    for (const data of [
      Buffer.from('Salted__12345678'),
      Buffer.alloc(0),
      Buffer.from('age'),
      randomBytes(5 << 20),
      Buffer.from('age-encryption.org/v2\n'),
    ]) {
      const { out, err } = await runTransform(new AgeDecrypt({ identities: [keys.identity] }), data);
      assert.equal(codeOf(err), 'not-encrypted', `${data.subarray(0, 20)}: ${err}`);
      assert.equal(err!.message, 'not an age file');
      assert.equal(out.length, 0);
    }
  });

  it('refuses a flipped bit anywhere, never emitting a byte of the damaged chunk (fast-check)', async () => {
    const plain = randomBytes(3 * KiB64 + 100);
    const enc = await mustRun(new AgeEncrypt({ recipients: [keys.recipient] }), plain);
    const start = payloadStart(enc);
    const edges = [
      0,
      5,
      30,
      60,
      100,
      start - 20,
      start - 1,
      start,
      start + 10,
      start + SEALED - 1,
      start + SEALED + 5,
      enc.length - 17,
      enc.length - 1,
    ];
    // fast-check prints the seed and path of a failure; FC_SEED=<seed> FC_PATH=<path> replays it.
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: enc.length - 1 }), pieceSizes, async (at, cuts) => {
        const bad = Buffer.from(enc);
        bad[at] ^= 1 << (at % 8);
        const { out, err } = await runTransform(new AgeDecrypt({ identities: [keys.identity] }), piecesOf(bad, cuts));
        assert.ok(err instanceof CryptoError, `offset ${at}: ${err}`);
        // A flip in the intro is "not age"; in a stanza it is "no key matches"; elsewhere tampering.
        assert.ok(['tampered', 'wrong-key', 'not-encrypted'].includes(err.code), `offset ${at}: ${err.code}`);
        if (at >= start - 16) assert.equal(err.code, 'tampered', `offset ${at}`);
        const damagedChunk = at < start ? 0 : Math.floor((at - start) / SEALED);
        assert.ok(out.length <= damagedChunk * KiB64, `offset ${at}: emitted ${out.length}`);
        assert.ok(out.equals(plain.subarray(0, out.length)));
      }),
      { numRuns: 40, examples: edges.map((at) => [at, [50_000]] as [number, number[]]), ...replay },
    );
  });

  it('reports truncation at every kind of offset, emitting only whole authenticated chunks (fast-check)', async () => {
    const plain = randomBytes(3 * KiB64 + 100);
    const enc = await mustRun(new AgeEncrypt({ recipients: [keys.recipient] }), plain);
    const start = payloadStart(enc);
    const edges = [
      1,
      10,
      21,
      22,
      40,
      start - 30,
      start - 16,
      start - 1,
      start,
      start + 1,
      start + SEALED - 1,
      start + SEALED,
      start + SEALED + 1,
      start + 2 * SEALED,
      start + 3 * SEALED,
      enc.length - 1,
    ];
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: enc.length - 1 }), pieceSizes, async (cut, cuts) => {
        const { out, err } = await runTransform(new AgeDecrypt({ identities: [keys.identity] }), piecesOf(enc.subarray(0, cut), cuts));
        assert.ok(err instanceof CryptoError, `cut ${cut}: ${err}`);
        const atBoundary = cut >= start && (cut - start) % SEALED === 0;
        // A cut inside a chunk is indistinguishable from a damaged last chunk; everything else says "truncated".
        // Less than the intro line cannot be told from any other short file.
        const expected = cut < 22 ? ['not-encrypted'] : cut < start || atBoundary ? ['truncated'] : ['truncated', 'tampered'];
        assert.ok(expected.includes(err.code), `cut ${cut}: ${err.code} ${err.message}`);
        if (err.code === 'truncated') assert.match(err.message, /^truncated/);
        assert.equal(out.length % KiB64, 0);
        assert.ok(out.length <= Math.max(0, Math.floor((cut - start) / SEALED)) * KiB64, `cut ${cut}: emitted ${out.length}`);
        assert.ok(out.equals(plain.subarray(0, out.length)));
      }),
      { numRuns: 30, examples: edges.map((cut) => [cut, [50_000]] as [number, number[]]), ...replay },
    );
  });

  it('refuses data appended after the last chunk', async () => {
    const enc = await mustRun(new AgeEncrypt({ recipients: [keys.recipient] }), randomBytes(100));
    const { out, err } = await runTransform(new AgeDecrypt({ identities: [keys.identity] }), Buffer.concat([enc, Buffer.from('x')]));
    assert.equal(codeOf(err), 'tampered');
    assert.equal(out.length, 0);
  });

  it('releases its buffers when destroyed mid-stream', async () => {
    const enc = new AgeEncrypt({ recipients: [keys.recipient] });
    enc.write(randomBytes(1000));
    enc.destroy();
    await new Promise((r) => enc.once('close', r));
    assert.equal((enc as unknown as { stage: Buffer }).stage.length, 0);
    const dec = new AgeDecrypt({ identities: [keys.identity] });
    dec.write(Buffer.from('age-encryption.org/v1\n'));
    dec.destroy();
    await new Promise((r) => dec.once('close', r));
    assert.equal((dec as unknown as { stage: Buffer }).stage.length, 0);
  });

  it('rejects bad options up front', () => {
    assert.throws(() => new AgeEncrypt({ recipients: [] }), /no age recipients/);
    assert.throws(() => new AgeEncrypt({ recipients: ['age1notakey'] }), /not a valid age recipient/);
    assert.throws(() => new AgeEncrypt({ passphrase: '' }), /passphrase is empty/);
    assert.throws(() => new AgeDecrypt({ identities: [keys.recipient] }), /not a valid age identity/);
  });
});
