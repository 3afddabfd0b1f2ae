import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { LifeboatError, formatBytesExact } from '../common';
import { Manifest, readManifest, verificationState } from './manifest';
import { BackupKind, Encryption, KIND_FOLDERS, parseBackupName } from './naming';

export interface BackupEntry {
  path: string;
  fileName: string;
  kind: BackupKind;
  subject?: string;
  /** From the name (UTC), which survives copies that reset mtimes. */
  createdAt: Date;
  bytes: number;
  mtime: Date;
  encryption?: Encryption;
  manifest?: Manifest;
  manifestProblem?: string;
  state: 'verified' | 'failed' | 'unverified';
}

/**
 * Every backup in the folder, newest first, including the runbook's own files: its volume
 * snapshots sit in the folder itself (`backups/volume_*.tar.gz`), not in `volumes/`.
 * Only names Lifeboat recognises are listed; a missing folder is an empty list.
 */
export async function listBackups(backupDir: string): Promise<BackupEntry[]> {
  const places: string[] = [backupDir, ...Object.values(KIND_FOLDERS).map((f) => join(backupDir, f))];
  const found: BackupEntry[] = [];
  for (const dir of places) {
    let names: string[];
    try {
      names = await fs.readdir(dir);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') continue;
      throw new LifeboatError(
        `Cannot read the backup folder ${dir}: ${(err as Error).message}.`,
        'Check that the setting lifeboat.backupDirectory names a folder this user can read.',
        undefined,
        { cause: err },
      );
    }
    for (const fileName of names) {
      const parsed = parseBackupName(fileName);
      if (!parsed) continue;
      const path = join(dir, fileName);
      let st;
      try {
        st = await fs.stat(path);
      } catch {
        continue; // Deleted while we looked.
      }
      if (!st.isFile()) continue;
      const { manifest, problem: manifestProblem } = await readManifest(path);
      // A file shorter or longer than its manifest recorded (a cut-off copy, a full disk) is
      // not the backup that was verified, whatever its last verification said.
      const resized = manifest && typeof manifest.file?.bytes === 'number' && manifest.file.bytes !== st.size;
      const problem = resized
        ? `the file is ${formatBytesExact(st.size)}, but its manifest recorded ${formatBytesExact(manifest.file.bytes)}`
        : manifestProblem;
      found.push({
        path,
        fileName,
        kind: parsed.kind,
        subject: parsed.subject,
        createdAt: manifest?.createdAt ? new Date(manifest.createdAt) : parsed.time,
        bytes: st.size,
        mtime: st.mtime,
        encryption: parsed.encryption,
        manifest,
        manifestProblem: problem,
        state: resized ? 'failed' : verificationState(manifest),
      });
    }
  }
  return found.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || a.fileName.localeCompare(b.fileName));
}

/** The unencrypted file an `.age`/`.enc` backup was made from, whether or not it is still there. */
export function plaintextPath(e: BackupEntry): string | undefined {
  return e.encryption ? e.path.replace(/\.(age|enc)$/, '') : undefined;
}

export interface ListedBackup {
  entry: BackupEntry;
  /** Set on an encrypted copy of a backup that is also listed; the copy follows it. */
  original?: BackupEntry;
}

/**
 * The entries in their order, except that an encrypted copy of a listed backup comes right
 * after it: told apart only by a lock, two rows of the same backup apart in the list read as
 * two backups. A copy whose plaintext is gone is the backup itself and keeps its place.
 */
export function withEncryptedCopies(entries: BackupEntry[]): ListedBackup[] {
  const byPath = new Map(entries.map((e) => [e.path, e]));
  const copies = new Map<string, BackupEntry[]>();
  for (const e of entries) {
    const plain = plaintextPath(e);
    if (plain && byPath.has(plain)) copies.set(plain, [...(copies.get(plain) ?? []), e]);
  }
  const out: ListedBackup[] = [];
  for (const e of entries) {
    const plain = plaintextPath(e);
    if (plain && byPath.has(plain)) continue;
    out.push({ entry: e });
    for (const copy of copies.get(e.path) ?? []) out.push({ entry: copy, original: e });
  }
  return out;
}
