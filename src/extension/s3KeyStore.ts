import type { S3Credentials } from '../core/offsite';
import type { SavedSecret } from './savedSecretIndex';
import type { SavedSecrets } from './savedSecrets';

/** Enough of an access key ID to tell two apart in a message; the rest stays out of logs. */
export function maskKeyId(id: string): string {
  return id.length > 12 ? `${id.slice(0, 4)}…${id.slice(-4)}` : '…';
}

/** The keys of one S3 destination as kept in the keychain; anything else read there counts as none. */
export function parseS3Keys(text: string | undefined): S3Credentials | undefined {
  if (!text) return undefined;
  try {
    const v = JSON.parse(text) as Partial<S3Credentials>;
    if (typeof v.accessKeyId !== 'string' || typeof v.secretAccessKey !== 'string' || !v.accessKeyId || !v.secretAccessKey)
      return undefined;
    return {
      accessKeyId: v.accessKeyId,
      secretAccessKey: v.secretAccessKey,
      ...(typeof v.sessionToken === 'string' && v.sessionToken ? { sessionToken: v.sessionToken } : {}),
    };
  } catch {
    return undefined;
  }
}

/**
 * S3 keys typed into VS Code, one slot per workspace and destination ("s3://bucket/prefix at
 * endpoint", as the destination describes itself), so keys for one bucket are never sent to another.
 */
export class S3KeyStore {
  constructor(
    private readonly saved: SavedSecrets,
    private readonly scope: string,
  ) {}

  entry(where: string): SavedSecret {
    return { slot: `lifeboat.s3Keys/${this.scope}/${where}`, label: `S3 keys for ${where}`, scope: this.scope };
  }

  async get(where: string): Promise<S3Credentials | undefined> {
    return parseS3Keys(await this.saved.get(this.entry(where).slot));
  }

  async store(where: string, keys: S3Credentials): Promise<void> {
    await this.saved.store(this.entry(where), JSON.stringify(keys));
  }
}
