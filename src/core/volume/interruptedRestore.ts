import type Docker from 'dockerode';
import { HelperSession } from './helperSession';
import { WRITER_OPERATION } from '../store';
import type { HeldLock } from '../store';
import type { Logger } from '../common';
import { startLeftStopped } from '../stack';
import { settleLeftovers } from './volumeLeftovers';

/**
 * A snapshot taken after a volume restore was killed with the containers stopped: they may only
 * run again on a volume that holds one content whole. Copies of the killed restore are removed
 * first; when previous content is still kept aside, InterruptedRestoreError names the
 * containers left stopped and says how to settle it, and nothing is started. Returns the names
 * started again.
 */
export async function restartAfterKilledRestore(
  docker: Docker,
  lock: HeldLock,
  volume: string,
  image: string,
  log: Logger,
): Promise<string[]> {
  const left = lock.previous?.operation === WRITER_OPERATION.volumeRestore ? (lock.previous.stopped ?? []) : [];
  if (!left.length) return [];
  const session = await HelperSession.open(docker, { volume, image, purpose: 'cleanup' }, log);
  try {
    await settleLeftovers(session, volume, image, log, left);
  } finally {
    await session.close();
  }
  return startLeftStopped(docker, lock, log);
}
