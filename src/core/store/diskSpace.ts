import { promises as fs } from 'node:fs';
import { dirname } from 'node:path';

export interface DiskSpace {
  freeBytes: number;
  totalBytes: number;
}

/**
 * Free space for an unprivileged writer (bavail, not bfree) on the file system that holds
 * `path`; a folder that does not exist yet is measured at its nearest existing parent.
 */
export async function diskSpace(path: string): Promise<DiskSpace | undefined> {
  let at = path;
  for (;;) {
    try {
      const s = await fs.statfs(at);
      return { freeBytes: s.bavail * s.bsize, totalBytes: s.blocks * s.bsize };
    } catch (err) {
      const parent = dirname(at);
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || parent === at) return undefined;
      at = parent;
    }
  }
}
