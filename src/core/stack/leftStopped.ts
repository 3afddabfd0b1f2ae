import type Docker from 'dockerode';
import { interruptedStops, removeStoppedRecord } from '../store';
import type { HeldLock, InterruptedStop } from '../store';
import type { Logger } from '../common';
import { toEngineError } from '../docker';
import { startContainers } from './appServices';

/** Containers an interrupted Lifeboat operation stopped that are down still. */
export interface LeftStopped extends InterruptedStop {
  /** Those of `stopped` that exist and are not running now. */
  down: string[];
}

/**
 * What interrupted operations (kill -9, a power cut) left stopped, as the next run of the
 * extension or `lifeboat status` tells the user, and the next run under the same lock (`only`)
 * starts. A record whose containers all run again (the user started them by hand) or are gone
 * has nothing left to say and is removed.
 */
export async function containersLeftStopped(docker: Docker, backupDir: string, only?: HeldLock): Promise<LeftStopped[]> {
  const out: LeftStopped[] = [];
  for (const rec of await interruptedStops(backupDir, only)) {
    const down: string[] = [];
    for (const name of rec.stopped) {
      const info = await docker
        .getContainer(name)
        .inspect()
        .catch((err: unknown) => {
          // A container removed since (`docker compose down`) is not Lifeboat's to start; an
          // engine that does not answer says nothing of it, so the record stays.
          if ((err as { statusCode?: number }).statusCode === 404) return undefined;
          throw toEngineError(err);
        });
      if (info && !info.State?.Running) down.push(name);
    }
    if (down.length) out.push({ ...rec, down });
    else await removeStoppedRecord(rec.path);
  }
  return out;
}

/**
 * Starts what an interrupted operation left stopped, then forgets the record. The last stopped
 * starts first: a database before the app that needs it.
 */
export async function startInterruptedStop(docker: Docker, rec: InterruptedStop, log: Logger): Promise<void> {
  const order = [...rec.stopped].reverse();
  log.warn(
    `Starting ${order.join(', ')} again: stopped by an interrupted ${rec.operation} (process ${rec.pid}, started ${rec.startedAt}) that never got to start ${order.length > 1 ? 'them' : 'it'}.`,
  );
  await startContainers(docker, order, log);
  await removeStoppedRecord(rec.path);
}

/**
 * Run by an operation that has just taken `lock`: starts what a killed earlier holder of the
 * same lock stopped (contract 5 across a kill -9), before this one looks at the stack.
 */
export async function startInterruptedStops(docker: Docker, lock: HeldLock, backupDir: string, log: Logger): Promise<string[]> {
  const started: string[] = [];
  for (const l of await containersLeftStopped(docker, backupDir, lock)) {
    await startInterruptedStop(docker, { ...l, stopped: l.down }, log);
    started.push(...l.down);
  }
  return started;
}
