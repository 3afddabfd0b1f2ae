import { LifeboatError } from '../common';
import type { Logger } from '../common';
import type { HelperSession } from './helperSession';

/**
 * What a volume restore that never finished (Lifeboat or the machine stopped mid-way) leaves at
 * the top of the volume: `.lifeboat-restore-<id>`, the snapshot unpacked beside the live data,
 * and `.lifeboat-safety-<id>`, where the live data is moved while the restored content is
 * proven. The first is only ever a copy and goes away safely. The second, when it holds
 * anything, is the volume's previous content: Lifeboat then neither snapshots the volume (the
 * copy would mix two versions) nor restores into it (the swap would move that content aside
 * again, to be deleted), and says how to settle it by hand.
 */
export class InterruptedRestoreError extends LifeboatError {
  constructor(volume: string, aside: [string, number][], image: string, leftStopped: string[] = []) {
    const where = aside.map(([dir, n]) => `${dir} (${n} entr${n === 1 ? 'y' : 'ies'})`).join(', ');
    // Named, so a database the killed restore stopped is never left down without a word.
    const down = leftStopped.length
      ? ` The interrupted restore left ${leftStopped.map((n) => `"${n}"`).join(', ')} stopped; Lifeboat does not start ${leftStopped.length > 1 ? 'them' : 'it'} on a half-swapped volume.`
      : '';
    const start = leftStopped.length ? `\`docker start ${leftStopped.join(' ')}\`` : "`docker compose start` in the stack's folder";
    super(
      `The volume "${volume}" still holds the previous content of an interrupted restore, kept in ${where}. Nothing was changed: Lifeboat does not snapshot or restore this volume until that is settled, so nothing in it is lost.${down}`,
      `Stop the containers that use it and look inside (\`docker run --rm -it -v ${volume}:/data ${image} sh\`). To go back to the previous content, move the volume's other top-level entries out of the way, then the entries of /data/${aside[0][0]} up into /data. To keep what is there now, delete /data/${aside[0][0]} and any .lifeboat-restore-* folder. Then start the containers again (${start})${leftStopped.length ? '' : ': the interrupted restore may have left them stopped'}.`,
    );
    this.name = 'InterruptedRestoreError';
  }
}

/** Throws InterruptedRestoreError when any safety folder holds something. */
export function checkLeftovers(
  volume: string,
  leftovers: Record<string, number> | undefined,
  image: string,
  leftStopped: string[] = [],
): void {
  const aside = Object.entries(leftovers ?? {}).filter(([dir, n]) => dir.startsWith('.lifeboat-safety-') && n > 0);
  if (aside.length) throw new InterruptedRestoreError(volume, aside, image, leftStopped);
}

/**
 * Before a restore stages anything: removes what an interrupted restore left when it is only
 * copies (an unpacked snapshot, an empty safety folder), and refuses when previous content is
 * kept aside. Runs in the restore's own helper, under the volume's lock.
 */
export async function settleLeftovers(
  session: HelperSession,
  volume: string,
  image: string,
  log: Logger,
  leftStopped: string[] = [],
): Promise<void> {
  const out = await session.run(['find', '/data', '-mindepth', '1', '-maxdepth', '2', '-path', '/data/.lifeboat-*']);
  const counts: Record<string, number> = {};
  for (const line of out.split('\n').filter(Boolean)) {
    const m = /^\/data\/(\.lifeboat-(?:restore|safety)-[A-Za-z0-9]+)(\/.+)?$/.exec(line);
    if (m) counts[m[1]] = (counts[m[1]] ?? 0) + (m[2] ? 1 : 0);
  }
  const dirs = Object.keys(counts);
  if (!dirs.length) return;
  checkLeftovers(volume, counts, image, leftStopped);
  await session.run(['rm', '-rf', ...dirs.map((d) => `/data/${d}`)]);
  log.warn(`${volume}: removed ${dirs.join(', ')}, left by an interrupted restore (copies only; the live data was not touched).`);
}
