import type Docker from 'dockerode';
import { basename } from 'node:path';
import { startContainers, stopContainers } from '../stack';
import { waitForContainers } from '../docker';
import { CancelledError, LifeboatError, isCancelled, quoteList } from '../common';
import type { Logger } from '../common';
import type { HelperSession } from './helperSession';
import { setRoot } from './restoreSwap';
import type { VolumeRoot } from './volumeTarScan';

export interface RollBack {
  session: HelperSession;
  volume: string;
  file: string;
  aside: string;
  staging: string;
  /** false: the failure came while the live content was being moved aside, so what is left at the top is live too. */
  movingIn: boolean;
  previousRoot?: VolumeRoot;
  safety?: { path: string };
  startOrder: string[];
  healthTimeoutMs?: number;
  log: Logger;
}

/**
 * Moves the previous content back after a failed restore and says what happened. It is not
 * cancellable: leaving the volume half-swapped would be worse than finishing.
 */
export async function rollBack(docker: Docker, err: unknown, r: RollBack): Promise<Error> {
  const cancelled = isCancelled(err);
  const cause = cancelled ? 'it was cancelled' : ((err as Error)?.message ?? String(err)).replace(/\.$/, '');
  r.log.error(`Restoring ${r.volume} failed (${cause}); moving its previous content back from ${r.aside}.`);
  try {
    // Containers started with the bad data may be crash-looping over the files.
    await stopContainers(docker, [...r.startOrder].reverse(), r.log);
    if (r.movingIn)
      await r.session.run(['find', '/data', '-mindepth', '1', '-maxdepth', '1', '!', '-name', r.aside, '-exec', 'rm', '-rf', '{}', '+']);
    else await r.session.run(['rm', '-rf', `/data/${r.staging}`]);
    await r.session.run(['find', `/data/${r.aside}`, '-mindepth', '1', '-maxdepth', '1', '-exec', 'mv', '-t', '/data', '{}', '+']);
    await r.session.run(['rmdir', `/data/${r.aside}`]);
    await setRoot(r.session, r.previousRoot, 'The volume', r.log);
  } catch (rbErr) {
    const kept = r.safety ? ` and in the safety snapshot ${r.safety.path}` : '';
    return new LifeboatError(
      `Restoring "${r.volume}" from "${basename(r.file)}" failed (${cause}), and moving its previous content back failed too: ${(rbErr as Error).message}`,
      `The previous content is inside the volume, in the folder ${r.aside}${kept}; move it back once the cause is fixed (see the Lifeboat log).`,
      undefined,
      { cause: rbErr },
    );
  }
  let health = '';
  try {
    await startContainers(docker, r.startOrder, r.log);
    await waitForContainers(docker, r.startOrder, { timeoutMs: r.healthTimeoutMs ?? 120_000, log: r.log });
    if (r.startOrder.length) health = ` and ${quoteList(r.startOrder)} ${r.startOrder.length > 1 ? 'are' : 'is'} running again`;
  } catch (startErr) {
    health = `, but the containers did not come back healthy: ${(startErr as Error).message}`;
  }
  if (cancelled) {
    r.log.info(`Restore of ${r.volume} cancelled; the volume is as it was${health}.`);
    return new CancelledError();
  }
  return new LifeboatError(
    `Restoring "${r.volume}" from "${basename(r.file)}" failed: ${cause}. The volume is as it was: its previous content, kept aside, was put back${health}.`,
    `${r.safety ? `A safety snapshot is also kept at ${r.safety.path}. ` : ''}See the Lifeboat log for the containers' output.`,
  );
}
