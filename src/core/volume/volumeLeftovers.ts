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
  /**
   * `others`: how many entries stand at the top of the volume besides the restore's folders,
   * when known. None means the previous content is all there is (a rollback was moving it back,
   * or the swap had moved it aside and not yet brought the restored content up): moving it up
   * is then all it takes, with nothing to move out of the way.
   */
  constructor(volume: string, aside: [string, number][], image: string, leftStopped: string[] = [], others?: number) {
    const where = aside.map(([dir, n]) => `${dir} (${n} entr${n === 1 ? 'y' : 'ies'})`).join(', ');
    // Named, so a database the killed restore stopped is never left down without a word.
    const down = leftStopped.length
      ? ` The interrupted restore left ${leftStopped.map((n) => `"${n}"`).join(', ')} stopped; Lifeboat does not start ${leftStopped.length > 1 ? 'them' : 'it'} on a half-swapped volume.`
      : '';
    const beside =
      others === undefined
        ? ''
        : others === 0
          ? ' Nothing else is at the top of the volume: the previous content is whole in that folder.'
          : ` Beside it, the top of the volume holds ${others} other entr${others === 1 ? 'y' : 'ies'}: content the restore brought in.`;
    const start = leftStopped.length ? `\`docker start ${leftStopped.join(' ')}\`` : "`docker compose start` in the stack's folder";
    const back =
      others === 0
        ? `To go back to the previous content, move the entries of /data/${aside[0][0]} up into /data and delete the empty folder, and any .lifeboat-restore-* folder.`
        : `To go back to the previous content, move the volume's other top-level entries out of the way, then the entries of /data/${aside[0][0]} up into /data. To keep what is there now, delete /data/${aside[0][0]} and any .lifeboat-restore-* folder.`;
    super(
      `The volume "${volume}" still holds the previous content of an interrupted restore, kept in ${where}.${beside} Nothing was changed: Lifeboat does not snapshot or restore this volume until that is settled, so nothing in it is lost.${down}`,
      `Stop the containers that use it and look inside (\`docker run --rm -it -v ${volume}:/data ${image} sh\`). ${back} Then start the containers again (${start})${leftStopped.length ? '' : ': the interrupted restore may have left them stopped'}.`,
    );
    this.name = 'InterruptedRestoreError';
  }
}

/** The folder a re-creating restore keeps at the top of the new volume until it is whole. */
export const RECREATE_MARKER_PREFIX = '.lifeboat-recreate-';

/**
 * A volume a restore was re-creating from a snapshot when it was stopped: it holds a part of
 * that snapshot. It did not exist before, so nothing older is in it; a snapshot of it would pass
 * off a fragment as the volume, so none is taken.
 */
export class PartlyRestoredError extends LifeboatError {
  constructor(volume: string) {
    super(
      `The volume ${volume} holds only a part of a snapshot: an interrupted restore was re-creating it. The volume did not exist before, so nothing older in it is lost, and the snapshot file is unchanged. Nothing was changed.`,
      `Restore the snapshot again: the restore replaces this content. Or remove the volume (\`docker volume rm ${volume}\`) and restore it with the option to re-create it. Do not start containers on it before then.`,
    );
    this.name = 'PartlyRestoredError';
  }
}

/** Throws InterruptedRestoreError when any safety folder holds something. */
export function checkLeftovers(
  volume: string,
  leftovers: Record<string, number> | undefined,
  image: string,
  leftStopped: string[] = [],
  others?: number,
): void {
  if (Object.keys(leftovers ?? {}).some((dir) => dir.startsWith(RECREATE_MARKER_PREFIX))) throw new PartlyRestoredError(volume);
  const aside = Object.entries(leftovers ?? {}).filter(([dir, n]) => dir.startsWith('.lifeboat-safety-') && n > 0);
  if (aside.length) throw new InterruptedRestoreError(volume, aside, image, leftStopped, others);
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
  restoring = false,
): Promise<void> {
  // Two levels of everything: the restore's folders with their entries, and what else is at the top.
  const out = await session.run(['find', '/data', '-mindepth', '1', '-maxdepth', '2']);
  const counts: Record<string, number> = {};
  let others = 0;
  for (const line of out.split('\n').filter(Boolean)) {
    const m = /^\/data\/(\.lifeboat-(?:restore|safety|recreate)-[A-Za-z0-9]+)(\/.+)?$/.exec(line);
    if (m) counts[m[1]] = (counts[m[1]] ?? 0) + (m[2] ? 1 : 0);
    else if (!line.slice('/data/'.length).includes('/')) others++;
  }
  const dirs = Object.keys(counts);
  if (!dirs.length) return;
  // A restore replaces a half-made volume whole: what it holds is moved aside and removed like any previous content.
  const marker = dirs.find((d) => d.startsWith(RECREATE_MARKER_PREFIX));
  if (marker && restoring) {
    delete counts[marker];
    log.warn(`${volume} holds only a part of a snapshot (an interrupted restore was re-creating it); this restore replaces it.`);
  }
  checkLeftovers(volume, counts, image, leftStopped, others);
  await session.run(['rm', '-rf', ...dirs.map((d) => `/data/${d}`)]);
  const copies = dirs.filter((d) => d !== marker);
  if (copies.length)
    log.warn(`${volume}: removed ${copies.join(', ')}, left by an interrupted restore (copies only; the live data was not touched).`);
}
