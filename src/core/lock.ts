import { promises as fs } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { LockedError, fsError } from './errors';
import { PRIVATE_FILE } from './fsSafe';

interface LockOwner {
  pid: number;
  host: string;
  operation: string;
  startedAt: string;
}

export interface HeldLock {
  path: string;
  release(): Promise<void>;
}

/**
 * One writer per stack (contract 11): a lock file created with O_EXCL in the backup folder,
 * so two VS Code windows, a schedule and a click, or the command line all see each other.
 * A lock left by a process that no longer runs on this host is taken over.
 */
export async function acquireLock(dir: string, stack: string, operation: string): Promise<HeldLock> {
  const path = join(dir, `.lifeboat-${stack.replace(/[^A-Za-z0-9_.-]/g, '_')}.lock`);
  const owner: LockOwner = { pid: process.pid, host: hostname(), operation, startedAt: new Date().toISOString() };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await fs.writeFile(path, JSON.stringify(owner), { flag: 'wx', mode: PRIVATE_FILE });
      let released = false;
      return {
        path,
        async release() {
          if (released) return;
          released = true;
          await fs.rm(path, { force: true });
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw fsError(err, 'create the lock file', path);
    }
    const holder = await readOwner(path);
    if (holder && isStale(holder)) {
      await fs.rm(path, { force: true });
      continue;
    }
    const who = holder
      ? `${holder.operation}, process ${holder.pid} on ${holder.host}, since ${holder.startedAt}`
      : `lock file ${path}`;
    throw new LockedError(`stack "${stack}"`, who);
  }
  throw new LockedError(`stack "${stack}"`, `lock file ${path}`);
}

async function readOwner(path: string): Promise<LockOwner | undefined> {
  try {
    return JSON.parse(await fs.readFile(path, 'utf8')) as LockOwner;
  } catch {
    return undefined;
  }
}

function isStale(owner: LockOwner): boolean {
  if (owner.host !== hostname()) return false;
  try {
    process.kill(owner.pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
