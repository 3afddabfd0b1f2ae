import { AGE_INTRO } from './ageHeader';
import { OPENSSL_MAGIC } from './opensslKdf';

export type EncryptionFormat = 'age' | 'openssl';

/** Tells the format from a file's first bytes (32 are enough), whatever its name says. */
export function detectEncryptionFormat(head: Buffer): EncryptionFormat | undefined {
  if (head.subarray(0, AGE_INTRO.length).equals(Buffer.from(AGE_INTRO))) return 'age';
  if (head.subarray(0, OPENSSL_MAGIC.length).equals(OPENSSL_MAGIC)) return 'openssl';
  return undefined;
}
