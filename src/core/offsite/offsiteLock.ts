import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { CancelledError, LockedError, throwIfAborted } from '../common';
import { acquireLock, ensurePrivateDir } from '../store';
import type { HeldLock } from '../store';
import type { Destination } from './destination';

/** The lock's operation; lockedMessage turns "off-site copy to <where>" into "copying backups to <where>". */
export const OFFSITE_COPY = 'off-site copy';

/** How long a second copy waits for the first before it says that one is running. */
export const OFFSITE_LOCK_WAIT_MS = 5_000;

/**
 * One copy at a time from a backup folder to a destination: two `lifeboat offsite copy --new`
 * from cron that overlap, or copyNewBackups and a command-line copy, would otherwise upload the
 * same object twice at once, and each would read back the other's bytes. The lock lives in the
 * backup folder (contract 11's lock file), named after the destination; a second caller waits up
 * to `waitMs` (a copy that is just ending), then gets a LockedError naming the holder.
 */
export async function lockOffsiteCopies(
  backupDir: string,
  destination: Destination,
  opts: { waitMs?: number; signal?: AbortSignal } = {},
): Promise<HeldLock> {
  const where = destination.describe();
  const name = `offsite_${createHash('sha256').update(where).digest('hex').slice(0, 16)}`;
  await ensurePrivateDir(backupDir);
  const deadline = Date.now() + (opts.waitMs ?? OFFSITE_LOCK_WAIT_MS);
  for (;;) {
    throwIfAborted(opts.signal);
    try {
      return await acquireLock(backupDir, name, `${OFFSITE_COPY} to ${where}`);
    } catch (err) {
      if (!(err instanceof LockedError) || Date.now() >= deadline) throw err;
    }
    await sleep(200, undefined, { signal: opts.signal }).catch(() => {
      throw new CancelledError();
    });
  }
}

/** Runs `work` holding the destination's copy lock (see lockOffsiteCopies), and lets it go after. */
export async function withOffsiteLock<T>(
  backupDir: string,
  destination: Destination,
  work: () => Promise<T>,
  opts: { waitMs?: number; signal?: AbortSignal } = {},
): Promise<T> {
  const lock = await lockOffsiteCopies(backupDir, destination, opts);
  try {
    return await work();
  } finally {
    await lock.release();
  }
}
