import { basename } from 'node:path';
import type { KeyProvider } from './backupSource';
import { parseAgeIdentityFile, CryptoError, readKeyFile } from '../crypto';

export interface KeyFiles {
  /** A passphrase key file (the runbook's `/secrets/backup_key`), mode 600. */
  keyFile?: string;
  /** An age identity file (`age-keygen`), mode 600. */
  identityFile?: string;
}

/**
 * Keys from files only, for runs with nobody to ask (the command line, cron): the passphrase
 * from `lifeboat.encryption.keyFile`, age identities from `lifeboat.encryption.identityFile`.
 * A key that does not open the file is not retried.
 */
export function fileKeys(files: KeyFiles): KeyProvider {
  return {
    async key(file, info, failed) {
      if (failed) throw failed;
      const name = basename(file);
      if (info.needs === 'identity') {
        if (!files.identityFile) {
          throw new CryptoError(
            'bad-key',
            `"${name}" was encrypted to age recipients and no identity file is set.`,
            'Set lifeboat.encryption.identityFile to the file made by `age-keygen` (mode 600).',
          );
        }
        const bytes = await readKeyFile(files.identityFile);
        try {
          return { identities: parseAgeIdentityFile(bytes.toString('utf8'), `the identity file ${files.identityFile}`) };
        } finally {
          bytes.fill(0);
        }
      }
      if (!files.keyFile) {
        throw new CryptoError(
          'bad-key',
          `"${name}" is encrypted with a passphrase and no key file is set.`,
          'Set lifeboat.encryption.keyFile to a file holding the passphrase (mode 600); nothing is asked for here.',
        );
      }
      return { passphrase: await readKeyFile(files.keyFile) };
    },
  };
}
