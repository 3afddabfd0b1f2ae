/**
 * A rough guess of how hard a passphrase is to guess, for a warning before it protects a
 * backup: an offline attacker with the file can try passphrases as fast as scrypt allows,
 * forever. Not a password meter; it only has to catch the obviously weak.
 */
export interface PassphraseStrength {
  weak: boolean;
  /** Estimated bits, counting repeats and runs (aaaa, 1234) as one character each. */
  bits: number;
  /** Why it is weak, as a sentence; undefined when it is not. */
  reason?: string;
}

export const MIN_PASSPHRASE_LENGTH = 12;
export const MIN_PASSPHRASE_BITS = 50;

export function passphraseStrength(passphrase: string): PassphraseStrength {
  const chars = [...passphrase];
  let pool = 0;
  if (/[a-z]/.test(passphrase)) pool += 26;
  if (/[A-Z]/.test(passphrase)) pool += 26;
  if (/[0-9]/.test(passphrase)) pool += 10;
  if (/[^a-zA-Z0-9]/.test(passphrase)) pool += 33;
  // A character that repeats the previous one, or continues a run by one code point
  // (abc, 321), adds next to nothing to what a guesser has to try.
  let effective = 0;
  for (let i = 0; i < chars.length; i++) {
    const cur = chars[i].codePointAt(0)!;
    const prev = i > 0 ? chars[i - 1].codePointAt(0)! : undefined;
    const before = i > 1 ? chars[i - 2].codePointAt(0)! : undefined;
    const repeat = prev === cur;
    const run = prev !== undefined && before !== undefined && Math.abs(cur - prev) === 1 && cur - prev === prev - before;
    if (!repeat && !run) effective++;
  }
  const distinct = new Set(chars).size;
  const bits = Math.round(Math.min(effective, distinct * 2) * Math.log2(Math.max(pool, 1)));
  if (chars.length < MIN_PASSPHRASE_LENGTH) {
    return {
      weak: true,
      bits,
      reason: `It has ${chars.length} character${chars.length === 1 ? '' : 's'}; use at least ${MIN_PASSPHRASE_LENGTH}, for example four unrelated words.`,
    };
  }
  if (bits < MIN_PASSPHRASE_BITS) {
    return {
      weak: true,
      bits,
      reason:
        'It repeats characters or follows a sequence, so it is easy to guess; use four or more unrelated words, or mix in other characters.',
    };
  }
  return { weak: false, bits };
}
