import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { LockedError, fsError } from '../common';
import { PRIVATE_FILE } from './fsSafe';

export interface LockOwner {
  pid: number;
  host: string;
  operation: string;
  startedAt: string;
}

export interface HeldLock {
  path: string;
  /** The owner of the stale lock this one took over: a process that died holding it. */
  previous?: LockOwner;
  release(): Promise<void>;
}

/**
 * One writer per stack (contract 11 in docs/contracts.md): a lock file created with O_EXCL in the
 * backup folder, so two VS Code windows, a schedule and a click, or the command line all see each
 * other. A lock left by a process that no longer runs on this host is taken over (see takeOver).
 */
export async function acquireLock(dir: string, stack: string, operation: string): Promise<HeldLock> {
  const path = join(dir, `.lifeboat-${stack.replace(/[^A-Za-z0-9_.-]/g, '_')}.lock`);
  const owner: LockOwner = { pid: process.pid, host: hostname(), operation, startedAt: new Date().toISOString() };
  const held: HeldLock = {
    path,
    release: (() => {
      let released = false;
      return async () => {
        if (released) return;
        released = true;
        await fs.rm(path, { force: true });
      };
    })(),
  };
  let holderText: string | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await fs.writeFile(path, JSON.stringify(owner), { flag: 'wx', mode: PRIVATE_FILE });
      return held;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw fsError(err, 'create the lock file', path);
    }
    holderText = await readText(path);
    const holder = parseOwner(holderText);
    if (holderText === undefined || !(holder ? isStale(holder) : await abandonedHalfWritten(path))) break;
    const outcome = await takeOver(path, holderText, owner);
    if (outcome === 'taken') return { ...held, previous: holder };
    if (outcome === 'contended') break;
  }
  const holder = parseOwner(holderText);
  if (!holder) throw new LockedError(`Another Lifeboat operation is already working on "${stack}" (lock file ${path}).`);
  throw new LockedError(lockedMessage(stack, holder));
}

/**
 * Who holds a lock, in words: the same host's process is most likely another VS Code window or
 * a scheduled run (it cannot be told which); the time is local, as a user reads a clock.
 */
export function lockedMessage(stack: string, holder: LockOwner, now: Date = new Date()): string {
  const who =
    holder.host !== hostname()
      ? `Lifeboat on ${holder.host} (process ${holder.pid})`
      : holder.pid === process.pid
        ? 'Another command or a scheduled run in this VS Code window'
        : `Another VS Code window or a scheduled run of Lifeboat (process ${holder.pid})`;
  const since = clockTime(holder.startedAt, now);
  return `${who} has been ${doing(holder.operation, stack)}${since ? ` since ${since}` : ''}.`;
}

function doing(operation: string, lockName: string): string {
  const volume = lockName.replace(/^volume_/, '');
  // The scheduler's own lock (scheduler.ts) guards its state file, not a stack.
  if (lockName === 'schedule') return operation.startsWith('scheduled ') ? `running a ${operation}` : 'starting the schedule';
  // Off-site copies lock per destination (offsiteLock.ts): the operation names it, the lock's name is a hash.
  if (operation.startsWith('off-site copy to ')) return `copying backups ${operation.slice('off-site copy '.length)}`;
  switch (operation) {
    case 'database backup':
      return `backing up "${lockName}"`;
    case 'config archive':
      return `archiving the config of "${lockName}"`;
    case 'volume snapshot':
      return `snapshotting the volume "${volume}"`;
    case 'volume restore':
      return `restoring the volume "${volume}"`;
    case 'start left stopped':
      return `starting the containers an interrupted snapshot or restore of the volume "${volume}" left stopped`;
    case 'database restore':
      return `restoring the database of "${lockName}"`;
    case 'swap back':
      return `swapping back the database of "${lockName}"`;
    case 'cleanup':
      return `cleaning up the backups of "${lockName}"`;
    default:
      return `working on "${lockName}" (${operation})`;
  }
}

/** `14:03` today, `2026-01-30 14:03` on another day; nothing for a time that cannot be read. */
function clockTime(iso: string, now: Date): string | undefined {
  const t = new Date(iso);
  if (!iso || Number.isNaN(t.getTime())) return undefined;
  const pad = (n: number) => String(n).padStart(2, '0');
  const hm = `${pad(t.getHours())}:${pad(t.getMinutes())}`;
  return t.toDateString() === now.toDateString() ? hm : `${t.getFullYear()}-${pad(t.getMonth() + 1)}-${pad(t.getDate())} ${hm}`;
}

/**
 * Replaces the stale lock whose content is `staleText` with ours, or leaves it to whoever else
 * is doing so. Deleting it and creating a new one is not enough: a second process that also
 * saw it stale could delete the first one's fresh lock, and both would believe they held it.
 * So a takeover first creates (O_EXCL) a claim file named after that very lock's content: of
 * all processes that saw it, one gets the claim. The claimant checks the lock still has that
 * content (a slower process may claim after the first has finished and removed its claim) and
 * puts its own lock in with a rename, which never leaves a moment without a lock file for a
 * plain O_EXCL create to slip into.
 */
async function takeOver(path: string, staleText: string, owner: LockOwner): Promise<'taken' | 'changed' | 'contended'> {
  const claim = `${path}.takeover-${createHash('sha256').update(staleText).digest('hex').slice(0, 16)}`;
  try {
    await fs.writeFile(claim, JSON.stringify(owner), { flag: 'wx', mode: PRIVATE_FILE });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw fsError(err, 'create the lock file', claim);
    // A claim left by a takeover that died half-way would block the lock for good. Two
    // processes clearing the same dead claim at once could still both proceed; that needs a
    // crash inside a few milliseconds of file operations followed by a race, and is accepted.
    const claimant = parseOwner(await readText(claim));
    if (claimant && isStale(claimant)) {
      await fs.rm(claim, { force: true });
      return 'changed';
    }
    return 'contended';
  }
  const fresh = `${path}.${process.pid}-${randomBytes(6).toString('hex')}.new`;
  try {
    if ((await readText(path)) !== staleText) return 'changed';
    await fs.writeFile(fresh, JSON.stringify(owner), { flag: 'wx', mode: PRIVATE_FILE });
    await fs.rename(fresh, path);
    return 'taken';
  } catch (err) {
    throw fsError(err, 'take over the lock file', path);
  } finally {
    await fs.rm(fresh, { force: true });
    await fs.rm(claim, { force: true });
  }
}

/**
 * The locks in `dir` whose holder may still be running (on this host and alive, or on another
 * host, which cannot be told), other than `except`: what a sweep of leftovers must respect.
 */
export async function liveLocks(dir: string, except?: string): Promise<{ path: string; pid: number; host: string; operation: string }[]> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return [];
  }
  const out: { path: string; pid: number; host: string; operation: string }[] = [];
  for (const name of names) {
    if (!/^\.lifeboat-.+\.lock$/.test(name)) continue;
    const path = join(dir, name);
    if (path === except) continue;
    const owner = parseOwner(await readText(path));
    // Unreadable or half-written: someone may be writing it right now, so it counts as live.
    if (!owner) {
      if (!(await abandonedHalfWritten(path))) out.push({ path, pid: 0, host: '', operation: '' });
    } else if (!isStale(owner)) out.push({ path, pid: owner.pid, host: owner.host, operation: owner.operation });
  }
  return out;
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await fs.readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

function parseOwner(text: string | undefined): LockOwner | undefined {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as LockOwner;
  } catch {
    return undefined;
  }
}

/**
 * How long a lock may stay without its owner in it. The O_EXCL create and the write of the
 * owner are two steps; a writer does the second within milliseconds of the first.
 */
export const HALF_WRITTEN_MS = 10_000;

/**
 * An empty or unreadable lock older than HALF_WRITTEN_MS: its writer was killed (kill -9, a
 * power cut) between creating it and writing its owner. Nothing names a process to ask about,
 * so its age is what tells; left alone it would block every later backup for good.
 */
async function abandonedHalfWritten(path: string): Promise<boolean> {
  try {
    return Date.now() - (await fs.stat(path)).mtimeMs > HALF_WRITTEN_MS;
  } catch {
    return false;
  }
}

/** True when the owner was a process on this host that no longer runs (killed, or the machine restarted). */
export function holderGone(owner: Pick<LockOwner, 'pid' | 'host'>): boolean {
  return isStale(owner);
}

function isStale(owner: Pick<LockOwner, 'pid' | 'host'>): boolean {
  if (owner.host !== hostname()) return false;
  try {
    process.kill(owner.pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
