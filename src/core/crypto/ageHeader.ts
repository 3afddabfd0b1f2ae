import { createHmac, timingSafeEqual } from 'node:crypto';
import { hkdfSha256 } from './aead';
import { decodeBase64NoPad, encodeBase64NoPad } from './base64';
import { CryptoError, tamperedError, truncatedError } from './cryptoError';

/** One recipient stanza: `-> type args…` and a base64 body wrapped at 64 columns. */
export interface AgeStanza {
  type: string;
  args: string[];
  body: Buffer;
}

export interface AgeHeader {
  stanzas: AgeStanza[];
  /** The header bytes the MAC covers: up to and including `---`. */
  macInput: Buffer;
  mac: Buffer;
  /** Bytes of the header including the MAC line's newline; the payload nonce follows. */
  length: number;
}

export const AGE_INTRO = 'age-encryption.org/v1\n';
const INTRO = Buffer.from(AGE_INTRO);
const ARMOR = Buffer.from('-----BEGIN AGE ENCRYPTED FILE-----');
const MAC_LINE = Buffer.from('\n---');
const BODY_COLUMNS = 64;
/** Far beyond any real header (thousands of recipients); stops a foreign file from being buffered whole. */
export const MAX_HEADER_BYTES = 1 << 20;

export function notAgeError(): CryptoError {
  return new CryptoError(
    'not-encrypted',
    'not an age file',
    'The file does not start with the age header. It may be an OpenSSL (.enc) file or not encrypted at all.',
  );
}

function headerMac(fileKey: Uint8Array, macInput: Uint8Array): Buffer {
  return createHmac('sha256', hkdfSha256(fileKey, Buffer.alloc(0), 'header'))
    .update(macInput)
    .digest();
}

export function encodeAgeHeader(stanzas: AgeStanza[], fileKey: Uint8Array): Buffer {
  let text = AGE_INTRO;
  for (const s of stanzas) {
    text += `-> ${[s.type, ...s.args].join(' ')}\n`;
    const body = encodeBase64NoPad(s.body);
    // The last body line is always shorter than 64 columns, possibly empty: it ends the stanza.
    for (let i = 0; i <= body.length; i += BODY_COLUMNS) text += `${body.slice(i, i + BODY_COLUMNS)}\n`;
  }
  const macInput = Buffer.from(`${text}---`);
  return Buffer.concat([macInput, Buffer.from(` ${encodeBase64NoPad(headerMac(fileKey, macInput))}\n`)]);
}

export function verifyAgeHeaderMac(header: AgeHeader, fileKey: Uint8Array): boolean {
  return timingSafeEqual(headerMac(fileKey, header.macInput), header.mac);
}

/**
 * Whether `head` can still be the start of an age file. Lets a decrypter say "not an age file"
 * after a few bytes instead of buffering a foreign file up to the header limit.
 */
export function checkAgePrefix(head: Buffer): void {
  const n = Math.min(head.length, INTRO.length);
  if (head.subarray(0, n).equals(INTRO.subarray(0, n))) return;
  const a = Math.min(head.length, ARMOR.length);
  if (a > 0 && head.subarray(0, a).equals(ARMOR.subarray(0, a))) {
    throw new CryptoError(
      'unsupported',
      'ASCII-armored age files are not supported',
      'Convert it with `age -d` and re-encrypt without `-a`.',
    );
  }
  throw notAgeError();
}

function isPrintable(arg: string): boolean {
  return /^[\x21-\x7e]+$/.test(arg);
}

/**
 * Parses the header at the start of `buf`; undefined while more bytes are needed. `ended` says
 * that no more will come, which turns "needs more" into a truncation.
 */
export function parseAgeHeader(buf: Buffer, ended: boolean): AgeHeader | undefined {
  checkAgePrefix(buf);
  const macAt = buf.indexOf(MAC_LINE);
  const eol = macAt < 0 ? -1 : buf.indexOf(0x0a, macAt + MAC_LINE.length);
  if (eol < 0) {
    if (buf.length > MAX_HEADER_BYTES)
      throw new CryptoError(
        'unsupported',
        'the age header is larger than 1 MiB',
        'This is not a file Lifeboat or the age CLI would write.',
      );
    if (ended) throw buf.length < INTRO.length ? notAgeError() : truncatedError('the file ends inside its age header');
    return undefined;
  }
  const text = buf.subarray(0, eol + 1).toString('latin1');
  if (!/^[\x20-\x7e\n]*$/.test(text)) throw tamperedError();
  const lines = text.split('\n');
  lines.pop();
  const macLine = lines.pop()!;
  const stanzas: AgeStanza[] = [];
  let i = 1;
  while (i < lines.length) {
    if (!lines[i].startsWith('-> ')) throw tamperedError();
    const args = lines[i].slice(3).split(' ');
    if (!args.every(isPrintable)) throw tamperedError();
    i++;
    let body = '';
    for (;;) {
      if (i >= lines.length) throw tamperedError();
      const line = lines[i++];
      if (line.length > BODY_COLUMNS) throw tamperedError();
      body += line;
      if (line.length < BODY_COLUMNS) break;
    }
    const decoded = decodeBase64NoPad(body);
    if (!decoded) throw tamperedError();
    stanzas.push({ type: args[0], args: args.slice(1), body: decoded });
  }
  if (stanzas.length === 0 || !macLine.startsWith('--- ')) throw tamperedError();
  const mac = decodeBase64NoPad(macLine.slice(4));
  if (!mac || mac.length !== 32) throw tamperedError();
  return { stanzas, macInput: Buffer.from(buf.subarray(0, macAt + MAC_LINE.length)), mac, length: eol + 1 };
}
