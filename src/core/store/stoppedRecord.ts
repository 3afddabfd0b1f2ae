import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fsError } from '../common';
import { PRIVATE_FILE } from './fsSafe';
import { holderGone } from './lock';
import type { HeldLock } from './lock';

/** Who stopped which containers, and for what: the content of a `.stopped.json` record. */
export interface StoppedRecord {
  pid: number;
  host: string;
  operation: string;
  startedAt: string;
  stopped: string[];
  /**
   * The volume a snapshot or restore of it stopped them for. After a killed restore the volume
   * may be half-swapped: its containers start only once it holds one content whole.
   */
  volume?: string;
}

/** A record whose writer died before it started its containers again. */
export interface InterruptedStop extends StoppedRecord {
  path: string;
}

export interface StoppedNote {
  path: string;
  /** Replaces the list of containers stopped (before each stop, so a kill -9 right after it is covered). */
  note(names: string[]): Promise<void>;
  /**
   * Removes the record: every container is running again. Only one this writer made: a dead
   * writer's record stays until its containers are started (see interruptedStops).
   */
  clear(): Promise<void>;
}

const SUFFIX = '.stopped.json';

/**
 * The containers an operation stopped, in a small file next to its lock (`.lifeboat-sms.lock`
 * → `.lifeboat-sms.stopped.json`; a volume's snapshot and restore write `.lifeboat-volume_<volume>.stopped.json`)
 * until it starts them again. The lock alone does not keep
 * this after a kill -9: the next operation of any kind on the stack takes the lock over and
 * writes its own owner in. The record stays until someone starts the containers, so the next
 * run of the extension or `lifeboat status` can say what was left stopped and how to start it.
 */
export function stoppedRecord(lock: HeldLock, operation: string, about: { volume?: string } = {}): StoppedNote {
  const path = lock.path.replace(/\.lock$/, SUFFIX);
  const owner = { pid: process.pid, host: hostname(), operation, startedAt: new Date().toISOString(), ...about };
  // Set once this writer has written the record: until then the file may be a dead writer's.
  let mine = false;
  const clear = async () => {
    if (mine) await fs.rm(path, { force: true });
  };
  return {
    path,
    note: async (names) => {
      if (!names.length) return clear();
      // A rename, so a reader never sees it half-written.
      const fresh = `${path}.${process.pid}-${randomBytes(6).toString('hex')}.new`;
      try {
        await fs.writeFile(fresh, JSON.stringify({ ...owner, stopped: names }), { flag: 'wx', mode: PRIVATE_FILE });
        await fs.rename(fresh, path);
        mine = true;
      } catch (err) {
        throw fsError(err, 'write the record of stopped containers', path);
      } finally {
        await fs.rm(fresh, { force: true });
      }
    },
    clear,
  };
}

/**
 * The records in `dir` (the backup folder, where the locks are) whose writer no longer runs:
 * containers an interrupted operation stopped and may have left down. `only` narrows it to
 * the record next to one lock.
 */
export async function interruptedStops(dir: string, only?: HeldLock): Promise<InterruptedStop[]> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return [];
  }
  const out: InterruptedStop[] = [];
  for (const name of names) {
    if (!name.startsWith('.lifeboat-') || !name.endsWith(SUFFIX)) continue;
    const path = join(dir, name);
    if (only && path !== only.path.replace(/\.lock$/, SUFFIX)) continue;
    let rec: StoppedRecord;
    try {
      rec = JSON.parse(await fs.readFile(path, 'utf8')) as StoppedRecord;
    } catch {
      continue; // Gone meanwhile, or not ours to read.
    }
    if (!Array.isArray(rec.stopped) || !rec.stopped.length || typeof rec.pid !== 'number') continue;
    if (holderGone(rec)) out.push({ ...rec, stopped: rec.stopped.map(String), path });
  }
  return out;
}

/** Removes a record once its containers run again (or the user chose to leave them). */
export async function removeStoppedRecord(path: string): Promise<void> {
  await fs.rm(path, { force: true });
}
