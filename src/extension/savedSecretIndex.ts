/**
 * What Lifeboat has put in the OS keychain, by name. SecretStorage cannot list its keys, so
 * "Forget Saved Passphrase" reads this index to offer what is there; it never holds a secret.
 */
export interface SavedSecret {
  /** The SecretStorage key. */
  slot: string;
  /** What the user sees in the list, e.g. "S3 keys for s3://bucket/sms". */
  label: string;
  /** The workspace it belongs to; absent for what any workspace uses (an SSH key's passphrase). */
  scope?: string;
}

/** The index as stored; anything unreadable (an older or damaged index) counts as empty. */
export function parseSecretIndex(text: string | undefined): SavedSecret[] {
  if (!text) return [];
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return [];
  }
  if (!Array.isArray(value)) return [];
  return value.filter(
    (e): e is SavedSecret =>
      !!e &&
      typeof e === 'object' &&
      typeof e.slot === 'string' &&
      typeof e.label === 'string' &&
      (e.scope === undefined || typeof e.scope === 'string'),
  );
}

/** The index with `entry` in it, replacing an older entry of the same slot. */
export function withSecret(index: readonly SavedSecret[], entry: SavedSecret): SavedSecret[] {
  return [...index.filter((e) => e.slot !== entry.slot), entry];
}

export function withoutSecrets(index: readonly SavedSecret[], slots: readonly string[]): SavedSecret[] {
  const gone = new Set(slots);
  return index.filter((e) => !gone.has(e.slot));
}

/** The entries a workspace may see: its own and those of no workspace. */
export function secretsOfScope(index: readonly SavedSecret[], scope: string): SavedSecret[] {
  return index.filter((e) => e.scope === undefined || e.scope === scope);
}
