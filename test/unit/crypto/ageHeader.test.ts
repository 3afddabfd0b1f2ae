import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { AGE_INTRO, MAX_HEADER_BYTES, encodeAgeHeader, parseAgeHeader, verifyAgeHeaderMac, CryptoError } from '../../../src/core/crypto';

const fileKey = randomBytes(16);
const stanza = { type: 'X25519', args: ['c2hhcmU'], body: randomBytes(32) };
const good = encodeAgeHeader([stanza], fileKey);

function failsWith(code: string, run: () => unknown): void {
  assert.throws(run, (err: Error) => {
    assert.ok(err instanceof CryptoError, String(err));
    assert.equal(err.code, code, err.message);
    return true;
  });
}

/** The good header with its text edited; the MAC then no longer matters, the parse fails first. */
const edited = (edit: (text: string) => string) => Buffer.from(edit(good.toString('latin1')), 'latin1');

describe('age header parsing (hostile headers)', () => {
  it('reads back what it wrote, with a MAC that verifies only under the file key', () => {
    const parsed = parseAgeHeader(Buffer.concat([good, Buffer.from('payload')]), false)!;
    assert.equal(parsed.length, good.length);
    assert.deepEqual(parsed.stanzas, [stanza]);
    assert.ok(verifyAgeHeaderMac(parsed, fileKey));
    assert.ok(!verifyAgeHeaderMac(parsed, randomBytes(16)));
  });

  it('a body of exactly 64 columns needs the empty line after it, as the age spec says', () => {
    const wide = { type: 'scrypt', args: ['c2FsdA', '18'], body: randomBytes(48) };
    const header = encodeAgeHeader([wide], fileKey);
    assert.match(header.toString('latin1'), /\n[A-Za-z0-9+/]{64}\n\n---/);
    assert.deepEqual(parseAgeHeader(header, true)!.stanzas, [wide]);
    failsWith('tampered', () => parseAgeHeader(Buffer.from(header.toString('latin1').replace(/\n\n---/, '\n---'), 'latin1'), true));
  });

  it('waits for more bytes until the MAC line ends, then says truncated, or not an age file when too short', () => {
    assert.equal(parseAgeHeader(good.subarray(0, good.length - 1), false), undefined);
    failsWith('truncated', () => parseAgeHeader(good.subarray(0, good.length - 1), true));
    failsWith('not-encrypted', () => parseAgeHeader(Buffer.from(AGE_INTRO.slice(0, 10)), true));
  });

  it('refuses a header past 1 MiB without its MAC line, instead of buffering on', () => {
    const huge = Buffer.concat([Buffer.from(`${AGE_INTRO}-> X25519 a\n`), Buffer.alloc(MAX_HEADER_BYTES, 0x41)]);
    assert.throws(
      () => parseAgeHeader(huge, false),
      (err: Error) => err instanceof CryptoError && err.code === 'unsupported' && /larger than 1 MiB/.test(err.message),
    );
  });

  for (const [what, edit] of [
    ['a control byte in the text', (t: string) => t.replace('X25519', 'X25\x01519')],
    ['a stanza line without its "-> "', (t: string) => t.replace('-> X25519', '>> X25519')],
    ['an empty stanza argument', (t: string) => t.replace('-> X25519 ', '-> X25519  ')],
    [
      'a body line wider than 64 columns',
      (t: string) => t.replace(/\n([A-Za-z0-9+/]+)\n---/, (_m, b: string) => `\n${b}${'A'.repeat(70)}\n---`),
    ],
    ['a body that is not base64', (t: string) => t.replace(/\n([A-Za-z0-9+/]+)\n---/, '\n!!!!\n---')],
    ['no stanza at all', (t: string) => t.replace(/-> [^]*?\n---/, '---')],
    ['a MAC line without its space', (t: string) => t.replace('--- ', '---')],
    ['a MAC of the wrong length', (t: string) => t.replace(/--- .*\n$/, '--- AAAA\n')],
  ] as const) {
    it(`says the file was tampered with on ${what}`, () => {
      failsWith('tampered', () => parseAgeHeader(edited(edit), true));
    });
  }

  it('a stanza whose body never ends (the last line is a full 64 columns) is tampered, not read past', () => {
    const body = 'A'.repeat(64);
    const text = `${AGE_INTRO}-> X25519 a\n${body}\n--- ${'A'.repeat(43)}\n`;
    failsWith('tampered', () => parseAgeHeader(Buffer.from(text), true));
  });
});
