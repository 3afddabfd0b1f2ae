import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { formatBytes } from '../common';
import type { Logger } from '../common';
import { liveLocks } from './lock';
import { BackupKind, parseBackupName } from './naming';

/** The lock operations under which backups of each kind write their partial files. */
export const WRITER_OPERATION = {
  database: 'database backup',
  config: 'config archive',
  volume: 'volume snapshot',
  /** A volume restore takes a safety snapshot, which writes a partial too. */
  volumeRestore: 'volume restore',
} as const;

const WRITERS: Record<BackupKind, string[]> = {
  database: [WRITER_OPERATION.database],
  config: [WRITER_OPERATION.config],
  volume: [WRITER_OPERATION.volume, WRITER_OPERATION.volumeRestore],
};

export interface PartialSweepOptions {
  /** The backup folder: where the locks are. */
  backupDir: string;
  /** The kind's folder: where its partial files are. */
  dir: string;
  kind: BackupKind;
  /** Only this series' partials (a database prefix, a volume); config archives have no subject. */
  subject?: string;
  /** The lock the caller holds for this series; it proves no live writer of the series is running. */
  ownLock: string;
  logger: Logger;
}

/**
 * Removes the partial files a killed backup of this series left behind (a `kill -9` or a power
 * cut skips the removal in its `finally`), which can be gigabytes each. Called while holding the
 * series' lock, so the writer of such a partial is known to be gone. Left alone: partials of
 * encrypted names (written by Encrypt, which takes no lock), partials of a name whose encrypted
 * file exists (Decrypt's output, no lock either), and everything while another live Lifeboat
 * process holds a lock for writing backups of this kind here (two stacks could share a prefix).
 */
export async function sweepStalePartials(opts: PartialSweepOptions): Promise<{ removed: string[]; bytes: number }> {
  let names: string[];
  try {
    names = await fs.readdir(opts.dir);
  } catch {
    return { removed: [], bytes: 0 };
  }
  const candidates = names.filter((n) => {
    const m = /^\.(.+)\.partial$/.exec(n);
    const parsed = m ? parseBackupName(m[1]) : undefined;
    if (!m || !parsed || parsed.kind !== opts.kind || parsed.encryption) return false;
    if (opts.subject !== undefined && parsed.subject !== opts.subject) return false;
    return !names.includes(`${m[1]}.age`) && !names.includes(`${m[1]}.enc`);
  });
  if (candidates.length === 0) return { removed: [], bytes: 0 };
  const others = (await liveLocks(opts.backupDir, opts.ownLock)).filter(
    (l) => l.operation === '' || WRITERS[opts.kind].includes(l.operation),
  );
  if (others.length) {
    const who = others.map((l) => (l.pid ? `${l.operation}, process ${l.pid} on ${l.host}` : l.path)).join('; ');
    opts.logger.info(`Kept ${candidates.length} partial file(s) in ${opts.dir}: another Lifeboat process may be writing them (${who}).`);
    return { removed: [], bytes: 0 };
  }
  const removed: string[] = [];
  let bytes = 0;
  for (const name of candidates) {
    const path = join(opts.dir, name);
    try {
      const st = await fs.lstat(path);
      if (!st.isFile()) continue;
      await fs.unlink(path);
      removed.push(path);
      bytes += st.size;
      opts.logger.info(`Removed ${path}, left by an interrupted ${opts.kind} backup: ${formatBytes(st.size)} freed.`);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
        opts.logger.warn(`Could not remove the leftover ${path}: ${(err as Error).message}`);
    }
  }
  if (removed.length > 1)
    opts.logger.info(`Removed ${removed.length} leftovers of interrupted ${opts.kind} backups: ${formatBytes(bytes)} freed.`);
  return { removed, bytes };
}
