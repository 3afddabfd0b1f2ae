/**
 * The unpadded standard base64 of the age header (RFC 4648 §4 without `=`). Decoding is strict:
 * a non-canonical encoding (padding, stray bits, other alphabets) is refused, because the
 * header MAC covers the text, and two spellings of one value would be two different headers.
 */
const ALPHABET = /^[A-Za-z0-9+/]*$/;

export function encodeBase64NoPad(data: Uint8Array): string {
  return Buffer.from(data).toString('base64').replace(/=+$/, '');
}

/** Returns undefined for anything that is not canonical unpadded base64. */
export function decodeBase64NoPad(text: string): Buffer | undefined {
  if (!ALPHABET.test(text) || text.length % 4 === 1) return undefined;
  const data = Buffer.from(text, 'base64');
  return encodeBase64NoPad(data) === text ? data : undefined;
}
