import type Docker from 'dockerode';
import { acquireLock } from '../store';
import type { InterruptedStop } from '../store';
import type { Logger } from '../common';
import { startInterruptedStop } from '../stack';
import { removeStaleHelpers, resolveHelperImage, volumeUsers } from './helperContainer';
import { startLeftStoppedOnVolume } from './startLeftStoppedOnVolume';
import { volumeLockName } from './volumeSnapshot';

/** The lock's operation while containers a killed volume run left stopped are checked and started. */
export const START_LEFT_STOPPED = 'start left stopped';

/**
 * The user's "Start" on containers an interrupted operation left stopped. A database restore's
 * go straight back up. A volume snapshot's or restore's are started under the volume's lock, as
 * the next snapshot would: after a killed restore, only once the volume holds one content whole
 * (otherwise InterruptedRestoreError says how to settle it, and nothing starts). Returns the
 * names started.
 */
export async function startLeftStopped(
  docker: Docker,
  rec: InterruptedStop,
  o: { backupDir: string; helperImage?: string; log: Logger },
): Promise<string[]> {
  if (!rec.volume) {
    await startInterruptedStop(docker, rec, o.log);
    return rec.stopped;
  }
  const lock = await acquireLock(o.backupDir, volumeLockName(rec.volume), START_LEFT_STOPPED);
  try {
    const image = await resolveHelperImage(docker, rec.volume, o.helperImage, await volumeUsers(docker, rec.volume));
    // The killed run's helper holds the volume still; the next snapshot would remove it too.
    await removeStaleHelpers(docker, rec.volume, o.log);
    return await startLeftStoppedOnVolume(docker, lock, { backupDir: o.backupDir, volume: rec.volume, image, log: o.log });
  } finally {
    await lock.release();
  }
}
