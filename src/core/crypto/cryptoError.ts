import { LifeboatError, type LifeboatErrorOptions } from '../common';

/**
 * What went wrong with an encrypted file, for callers that react differently (ask for the
 * passphrase again on `wrong-key`, but not on `tampered`). Messages are lower case because the
 * command layer prefixes them ("Cannot decrypt x.age: wrong passphrase or key").
 */
export type CryptoErrorCode = 'wrong-key' | 'truncated' | 'tampered' | 'not-encrypted' | 'unsupported' | 'bad-key';

export class CryptoError extends LifeboatError {
  constructor(
    readonly code: CryptoErrorCode,
    message: string,
    hint?: string,
    options?: LifeboatErrorOptions,
  ) {
    super(message, hint, undefined, options);
    this.name = 'CryptoError';
  }
}

export function wrongKeyError(hint: string): CryptoError {
  return new CryptoError('wrong-key', 'wrong passphrase or key', hint);
}

export function truncatedError(where: string): CryptoError {
  return new CryptoError(
    'truncated',
    `truncated: ${where}`,
    'The file is incomplete (an interrupted copy or a full disk). Compare its size and sha256 with the manifest, and use another copy.',
  );
}

export function tamperedError(): CryptoError {
  return new CryptoError(
    'tampered',
    'authentication failed: the file was modified or is corrupt',
    'Nothing unauthenticated was written. If the file was copied, the copy may be cut short or damaged; compare its sha256 with the manifest and use another copy.',
  );
}
