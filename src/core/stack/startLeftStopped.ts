import type Docker from 'dockerode';
import { startContainers } from './appServices';
import type { HeldLock } from '../store';
import type { Logger } from '../common';

/**
 * Starts the containers a killed holder of this lock had stopped (contract 5 across a kill -9:
 * its `finally` never ran). Returns their names; the caller then looks at the stack afresh, as
 * what it saw before taking the lock had them down.
 */
export async function startLeftStopped(docker: Docker, lock: HeldLock, log: Logger): Promise<string[]> {
  const names = lock.previous?.stopped ?? [];
  if (!names.length) return [];
  const prev = lock.previous!;
  log.warn(
    `Starting ${names.join(', ')} again: stopped by an interrupted ${prev.operation} (process ${prev.pid}, started ${prev.startedAt}) that never got to start ${names.length > 1 ? 'them' : 'it'}.`,
  );
  await startContainers(docker, names, log);
  return names;
}
