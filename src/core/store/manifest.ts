import { promises as fs } from 'node:fs';
import { BackupKind, Encryption, manifestName } from './naming';
import { writeFileAtomic } from './fsSafe';

export const MANIFEST_VERSION = 1;

export interface VerificationRecord {
  at: string;
  depth: 'quick' | 'full';
  ok: boolean;
  detail?: string;
}

export interface Manifest {
  formatVersion: number;
  kind: BackupKind;
  createdAt: string;
  tool: { name: 'lifeboat'; version: string };
  source: {
    project?: string;
    container?: string;
    image?: string;
    database?: string;
    volume?: string;
    serverVersion?: string;
    pgDumpVersion?: string;
  };
  /** `level` is unknown for files made outside Lifeboat (their manifest is written when they are encrypted). */
  compression: { format: 'gzip'; level?: number };
  file: { name: string; bytes: number; sha256?: string };
  /** Uncompressed payload: the SQL script of a dump. */
  content?: { bytes: number; sha256?: string };
  encryption?: { format: Encryption; keyFingerprint: string; plaintextSha256: string };
  tables?: Record<string, number>;
  alembicHead?: string[];
  durationMs?: number;
  /** Set when Lifeboat wrote this manifest for a file it did not make (a runbook backup), at its first verification. */
  adoptedAt?: string;
  verifications: VerificationRecord[];
}

/**
 * The sha256 of what a backup holds once read: the file's own, or for an encrypted file the
 * plaintext's (its `file.sha256` is the ciphertext's). Undefined when none was recorded.
 */
export function contentSha256(m: Manifest | undefined): string | undefined {
  if (!m) return undefined;
  return (m.encryption ? m.encryption.plaintextSha256 : m.file.sha256) || undefined;
}

export function manifestPath(backupPath: string): string {
  return manifestName(backupPath);
}

export async function writeManifest(backupPath: string, manifest: Manifest): Promise<void> {
  await writeFileAtomic(manifestPath(backupPath), JSON.stringify(manifest, null, 2) + '\n');
}

/** Reads a sidecar manifest; a missing one is normal (runbook-made backups), a broken one is reported. */
export async function readManifest(backupPath: string): Promise<{ manifest?: Manifest; problem?: string }> {
  let text: string;
  try {
    text = await fs.readFile(manifestPath(backupPath), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    return { problem: `manifest unreadable: ${(err as Error).message}` };
  }
  try {
    const parsed = JSON.parse(text) as Manifest;
    if (typeof parsed !== 'object' || parsed === null || typeof parsed.formatVersion !== 'number') {
      return { problem: 'manifest is not a Lifeboat manifest' };
    }
    if (parsed.formatVersion > MANIFEST_VERSION) {
      return { manifest: parsed, problem: `manifest format ${parsed.formatVersion} is newer than this Lifeboat understands` };
    }
    parsed.verifications ??= [];
    return { manifest: parsed };
  } catch (err) {
    return { problem: `manifest is not valid JSON: ${(err as Error).message}` };
  }
}

/** Appends a verification to the backup's manifest (creating a minimal one for a foreign file). */
export async function recordVerification(backupPath: string, base: Manifest, record: VerificationRecord): Promise<Manifest> {
  const { manifest } = await readManifest(backupPath);
  const next: Manifest = manifest ?? { ...base, verifications: [] };
  // Keep the history bounded: the newest fifty are what anyone looks at.
  next.verifications = [...next.verifications, record].slice(-50);
  await writeManifest(backupPath, next);
  return next;
}

/** The state a tree icon shows: the newest verification wins. */
export function verificationState(manifest: Manifest | undefined): 'verified' | 'failed' | 'unverified' {
  const last = manifest?.verifications.at(-1);
  if (!last) return 'unverified';
  return last.ok ? 'verified' : 'failed';
}
