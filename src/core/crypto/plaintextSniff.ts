/**
 * Whether the first bytes of a decryption look like something a backup holds. CBC has no
 * integrity, so this is the only way to tell a right key from a wrong one before the end of the
 * file; a wrong key yields uniform noise, which matches a 3-byte magic with odds 2^-24 and
 * passes as text over a few hundred bytes practically never.
 */
const MAGICS: Array<[number, Buffer]> = [
  [0, Buffer.from([0x1f, 0x8b, 0x08])], // gzip (deflate): .sql.gz, .tar.gz
  [257, Buffer.from('ustar')], // tar, POSIX and GNU
  [0, Buffer.from('PGDMP')], // pg_dump custom format
  [0, Buffer.from([0x28, 0xb5, 0x2f, 0xfd])], // zstd
  [0, Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])], // xz
  [0, Buffer.from('BZh')], // bzip2
  [0, Buffer.from([0x50, 0x4b, 0x03, 0x04])], // zip
  [0, Buffer.from('age-encryption.org/v1\n')],
];

const utf8 = new TextDecoder('utf-8', { fatal: true });

function isText(head: Buffer): boolean {
  for (const b of head) {
    // Controls other than tab, newline, form feed and carriage return do not occur in SQL or config text.
    if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0c && b !== 0x0d) return false;
    if (b === 0x7f) return false;
  }
  // The probe may end inside a multi-byte character; drop up to three bytes of it.
  for (let cut = 0; cut <= Math.min(3, head.length); cut++) {
    try {
      utf8.decode(head.subarray(0, head.length - cut));
      return true;
    } catch {
      // try a shorter prefix
    }
  }
  return false;
}

export function looksLikePlaintext(head: Buffer): boolean {
  for (const [at, magic] of MAGICS) {
    if (head.length >= at + magic.length && head.subarray(at, at + magic.length).equals(magic)) return true;
  }
  return isText(head);
}
