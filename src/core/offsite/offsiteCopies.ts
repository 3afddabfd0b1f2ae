import { KIND_FOLDERS, manifestName, parseBackupName } from '../store';
import type { Destination } from './destination';

export interface OffsiteCopy {
  /** Relative to the destination's root. */
  remotePath: string;
  bytes: number;
}

/**
 * The local file name a remote object stands for: the same name, or the unencrypted name of a
 * copy that was encrypted on its way off-site (`x.sql.gz.age` stands for `x.sql.gz`).
 */
export function offsitePathOf(remoteName: string): string[] {
  const names = [remoteName];
  if (/\.(age|enc)$/.test(remoteName)) names.push(remoteName.replace(/\.(age|enc)$/, ''));
  return names;
}

/**
 * What the destination holds, by the local backup name each copy stands for. Only copies
 * with their manifest beside them count: the manifest is written last, after the data was
 * read back and checked, so a copy without one never finished.
 */
export async function offsiteCopies(destination: Destination): Promise<Map<string, OffsiteCopy>> {
  const out = new Map<string, OffsiteCopy>();
  for (const folder of new Set(Object.values(KIND_FOLDERS))) {
    const entries = await destination.list(`${folder}`);
    const names = new Set(entries.map((e) => e.path));
    for (const e of entries) {
      const base = e.path.slice(folder.length + 1);
      if (!parseBackupName(base) || !names.has(manifestName(e.path))) continue;
      for (const local of offsitePathOf(base)) if (!out.has(local)) out.set(local, { remotePath: e.path, bytes: e.bytes });
    }
  }
  return out;
}

/** What the Backups view shows about a destination: where it is, what it holds, or why it could not be read. */
export interface OffsiteState {
  where: string;
  copies: Map<string, OffsiteCopy>;
  problem?: string;
}

/** The copies at a destination, or the reason they could not be listed (a disk that is not mounted). */
export async function readOffsiteState(destination: Destination): Promise<OffsiteState> {
  try {
    await destination.check();
    return { where: destination.describe(), copies: await offsiteCopies(destination) };
  } catch (err) {
    return { where: destination.describe(), copies: new Map(), problem: (err as Error).message };
  }
}

/** The copy standing for a local backup, by its file name (an encrypted local file has the same name there). */
export function offsiteCopyOf(state: OffsiteState, fileName: string): OffsiteCopy | undefined {
  return state.copies.get(fileName);
}
