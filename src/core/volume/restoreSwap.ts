import type Docker from 'dockerode';
import { randomBytes } from 'node:crypto';
import { throwIfAborted } from '../common';
import type { Logger } from '../common';
import { removeInBackground } from './helperContainer';
import type { HelperSession } from './helperSession';
import { removeStaging } from './restoreStage';
import type { VolumeRoot } from './volumeTarScan';

/** The restore's two top-level folders inside the volume, beside the live data. */
export interface SwapDirs {
  /** Where the snapshot is unpacked and checked before anything live moves. */
  staging: string;
  /** Where the live content waits, whole, until the containers are healthy (contract 3 in docs/contracts.md). */
  aside: string;
}

/** A random suffix per restore, so the folders of an interrupted one are never mistaken for this one's. */
export function swapDirs(): SwapDirs {
  const id = randomBytes(4).toString('hex');
  return { staging: `.lifeboat-restore-${id}`, aside: `.lifeboat-safety-${id}` };
}

/**
 * What can be done before the live content moves: the previous root's owner and mode (for a
 * rollback), the empty aside folder, and stopping the containers, so their downtime is only the
 * renames. A failure here has touched no live data, so it leaves the volume without our folders.
 */
export async function prepareSwap(
  session: HelperSession,
  dirs: SwapDirs,
  stop: () => Promise<void>,
  signal: AbortSignal | undefined,
  log: Logger,
): Promise<VolumeRoot | undefined> {
  try {
    const previousRoot = parseRoot(await session.run(['stat', '-c', '%u:%g:%a', '/data']));
    await session.run(['mkdir', '-m', '700', `/data/${dirs.aside}`]);
    throwIfAborted(signal);
    await stop();
    return previousRoot;
  } catch (err) {
    await removeStaging(session, `/data/${dirs.staging}`, log);
    await removeStaging(session, `/data/${dirs.aside}`, log);
    throw err;
  }
}

/** Until the staged content starts moving up, every top-level entry but ours is live data. */
export async function moveLiveAside(session: HelperSession, dirs: SwapDirs): Promise<void> {
  await session.run([
    'find',
    '/data',
    '-mindepth',
    '1',
    '-maxdepth',
    '1',
    '!',
    '-name',
    dirs.aside,
    '!',
    '-name',
    dirs.staging,
    '-exec',
    'mv',
    '-t',
    `/data/${dirs.aside}`,
    '{}',
    '+',
  ]);
}

export async function moveStagedIn(
  session: HelperSession,
  dirs: SwapDirs,
  root: VolumeRoot | undefined,
  previousRoot: VolumeRoot | undefined,
  what: string,
  log: Logger,
): Promise<void> {
  await session.run(['find', `/data/${dirs.staging}`, '-mindepth', '1', '-maxdepth', '1', '-exec', 'mv', '-t', '/data', '{}', '+']);
  // The root usually keeps its owner and mode from one snapshot to the next: two fewer steps while down.
  if (!sameRoot(root, previousRoot)) await setRoot(session, root, what, log);
}

/**
 * Once the containers are healthy the previous content has served its purpose. Its removal frees
 * disk space only, so it runs detached; the next operation on the volume waits for it. Says what
 * became of it.
 */
export async function removePrevious(docker: Docker, volume: string, image: string, dirs: SwapDirs, log: Logger): Promise<string> {
  try {
    // The emptied staging folder goes with it.
    await removeInBackground(docker, { volume, image, paths: [`/data/${dirs.aside}`, `/data/${dirs.staging}`] });
    return 'The previous content was kept aside in the volume until the containers were healthy, then removed.';
  } catch (err) {
    const previous = `The previous content is still in the volume, in ${dirs.aside}: it could not be removed (${(err as Error).message}). Remove it by hand.`;
    log.warn(previous);
    return previous;
  }
}

function sameRoot(a: VolumeRoot | undefined, b: VolumeRoot | undefined): boolean {
  return !!a && !!b && a.uid === b.uid && a.gid === b.gid && a.mode === b.mode;
}

function parseRoot(text: string): VolumeRoot | undefined {
  const m = /^(\d+):(\d+):([0-7]+)\s*$/.exec(text);
  return m ? { uid: Number(m[1]), gid: Number(m[2]), mode: parseInt(m[3], 8) } : undefined;
}

/** Docker's archive API cannot set the owner and mode of the mount point itself. */
export async function setRoot(session: HelperSession, root: VolumeRoot | undefined, what: string, log: Logger): Promise<void> {
  if (!root) {
    log.warn(`${what} records no owner or mode of the volume root; it stays as it was.`);
    return;
  }
  // chown first: it clears set-id bits, which chmod then puts back.
  await session.run(['chown', `${root.uid}:${root.gid}`, '/data']);
  await session.run(['chmod', root.mode.toString(8), '/data']);
}
