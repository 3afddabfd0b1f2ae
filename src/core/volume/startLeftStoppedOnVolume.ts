import type Docker from 'dockerode';
import { HelperSession } from './helperSession';
import { WRITER_OPERATION } from '../store';
import type { HeldLock } from '../store';
import type { Logger } from '../common';
import { containersLeftStopped, startInterruptedStop } from '../stack';
import { settleLeftovers } from './volumeLeftovers';

export interface VolumeRun {
  backupDir: string;
  volume: string;
  image: string;
  log: Logger;
}

/**
 * Run under the volume's lock, just taken: starts what a killed snapshot or restore of the volume
 * left stopped, as its record next to the lock names them (contract 5 across a kill -9: those
 * that still exist and are down), and removes the record. A snapshot never changes the volume, so after one they come back on the
 * data they left. After a restore the volume may be half-swapped: its copies are removed first,
 * and when previous content is still kept aside, InterruptedRestoreError names the containers and
 * says how to settle it; nothing is started and the record stays. Returns the names started.
 */
export async function startLeftStoppedOnVolume(docker: Docker, lock: HeldLock, run: VolumeRun): Promise<string[]> {
  const records = await containersLeftStopped(docker, run.backupDir, lock);
  const names = [...new Set(records.flatMap((r) => r.down))];
  if (!names.length) return [];
  if (records.some((r) => r.operation !== WRITER_OPERATION.volume)) {
    const session = await HelperSession.open(docker, { volume: run.volume, image: run.image, purpose: 'cleanup' }, run.log);
    try {
      await settleLeftovers(session, run.volume, run.image, run.log, names);
    } finally {
      await session.close();
    }
  }
  for (const r of records) await startInterruptedStop(docker, { ...r, stopped: r.down }, run.log);
  return names;
}
