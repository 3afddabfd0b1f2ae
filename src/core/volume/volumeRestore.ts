import type Docker from 'dockerode';
import { BackupSource, KeyProvider, openBackupSource } from '../encryption';
import { basename } from 'node:path';
import { containersLeftStopped, startContainers, stopContainers } from '../stack';
import type { Stack } from '../stack';
import { waitForContainers } from '../docker';
import { throwIfAborted, Logger, OperationOptions, WithDefaults, withDefaults } from '../common';
import { ensurePrivateDir, acquireLock, WRITER_OPERATION, stoppedRecord } from '../store';
import type { HeldLock, StoppedNote } from '../store';
import {
  VolumeFacts,
  VolumeMissingError,
  inspectVolume,
  removeStaleHelpers,
  resolveHelperImage,
  volumeUsers,
  waitForVolumeCleanup,
} from './helperContainer';
import { HelperSession } from './helperSession';
import { recreateAndRestore } from './restoreRecreate';
import { rollBack } from './restoreRollback';
import { checkAgainstManifest, stage } from './restoreStage';
import { SwapDirs, moveLiveAside, moveStagedIn, prepareSwap, removePrevious, swapDirs } from './restoreSwap';
import { VolumeManifest, WriteSnapshotOptions, volumeLockName, writeVolumeSnapshot } from './volumeSnapshot';
import { CheckedVolumeArchive, VolumeRoot, checkVolumeArchive } from './volumeTarScan';
import { settleLeftovers } from './volumeLeftovers';
import { checkRoom, unpackedBytes } from './volumeRoom';
import { refuseOutsiders, snapshotManifest, stopOrder } from './restorePlan';

export interface VolumeRestoreOptions extends OperationOptions {
  volume: string;
  /** The snapshot (`.tar.gz`) to put into the volume. */
  file: string;
  /** The backup folder: the lock lives there, and a kept safety snapshot goes to its `volumes/` subfolder. */
  backupDir: string;
  /** The Compose stack: all its containers stop during the restore (the app depends on the database). */
  stack?: Stack;
  helperImage?: string;
  /** How long started containers get to report healthy (default 120 s). */
  healthTimeoutMs?: number;
  /**
   * Also write a safety snapshot file of the volume as it was, and keep it (default false). The
   * volume's previous content is kept aside inside the volume in any case (contract 3 in
   * docs/contracts.md) until the containers are healthy; this adds a copy that outlives the
   * restore, at the cost of compressing the whole volume while the containers are down.
   */
  keepSafetySnapshot?: boolean;
  /** gzip level of a kept safety snapshot (default 1: it is on the critical path). */
  safetyLevel?: number;
  /**
   * When the volume no longer exists ("Complete system failure": `docker compose down -v`),
   * make it again with the driver, options and labels the snapshot's manifest recorded, then
   * restore into it. Without this a missing volume is refused, so a caller asks first.
   */
  recreateMissing?: boolean;
  now?: () => Date;
  /** The key of an encrypted snapshot (`.tar.gz.age`, `.tar.gz.enc`): it is read from its decryption, never decrypted to disk. */
  keys?: KeyProvider;
}

export interface VolumeRestoreResult {
  volume: string;
  /** The kept safety snapshot (with `keepSafetySnapshot`). */
  safety?: { path: string; manifest: VolumeManifest };
  /** What happened to the volume's previous content: kept aside until the containers were healthy, then removed. */
  previous?: string;
  /** Set when the volume was missing and made again: how, and why no safety copy was needed. */
  recreated?: { facts: VolumeFacts; fromManifest: boolean; note: string };
  /** Containers stopped for the restore and started again, in start order. */
  restarted: string[];
  /** What was restored, as read from the archive. */
  restored: CheckedVolumeArchive;
  root?: VolumeRoot;
  durationMs: number;
}

/**
 * Rolls a volume back to a snapshot (the runbook's Scenario 2), without its risks, and with the
 * containers down only for a few renames:
 * 1. a container outside the project that uses the volume is refused, by name;
 * 2. the archive is read once, straight into a staging folder inside the volume, beside the live
 *    data, which is not touched: gunzip, the tar parse (contract 9 in docs/contracts.md for every
 *    entry, the end-of-archive marker) and the sha256 (against the manifest) run on the way. A bad
 *    file is refused and the staging folder removed: the live data and the containers never
 *    noticed;
 * 3. the containers stop; the live content is moved aside into a safety folder in the same volume
 *    (contract 3 in docs/contracts.md: renames, so the copy costs nothing and cannot fail half-way
 *    for lack of space), the staged content moved up, and the root's owner and mode set;
 * 4. the containers start and must pass their health checks; then the safety folder is removed
 *    by a detached helper (freeing space is not part of the restore; the next operation waits).
 * A failure (or cancel) after step 3 began moves the previous content back. The stopped
 * containers are started again in a `finally` (contract 5 in docs/contracts.md).
 *
 * The volume is changed in place rather than removed and re-created: Docker refuses to remove
 * a volume that any container references, stopped ones included, and removing the project's
 * containers is not ours to do. Its driver, options and Compose labels stay as they are.
 */
export async function restoreVolume(docker: Docker, options: VolumeRestoreOptions): Promise<VolumeRestoreResult> {
  const opts = withDefaults(options);
  const log = opts.logger;
  const started = Date.now();
  throwIfAborted(opts.signal);

  const manifest = await snapshotManifest(opts.file, log);
  const source = await openBackupSource(opts.file, { keys: opts.keys, signal: opts.signal });
  try {
    return await restoreFrom(docker, opts, source, manifest, started);
  } finally {
    source.close();
  }
}

async function restoreFrom(
  docker: Docker,
  opts: WithDefaults<VolumeRestoreOptions>,
  source: BackupSource,
  manifest: VolumeManifest | undefined,
  started: number,
): Promise<VolumeRestoreResult> {
  const { logger: log, progress } = opts;
  // 1. Who uses the volume.
  const facts = await inspectUnlessMissing(docker, opts);
  if (!facts) {
    const checked = await checkVolumeArchive(opts.file, { ...opts, open: source.open });
    checkAgainstManifest(opts.file, manifest, checked, source);
    return recreateAndRestore(docker, opts, { manifest, checked, root: manifest?.volumeRoot ?? checked.root, started, source });
  }
  const users = await volumeUsers(docker, opts.volume);
  refuseOutsiders(opts.volume, opts.stack, facts, users);
  const image = await resolveHelperImage(docker, opts.volume, opts.helperImage, users);
  const toStop = stopOrder(opts.stack, users);

  await ensurePrivateDir(opts.backupDir);
  const lock = await acquireLock(opts.backupDir, volumeLockName(opts.volume), WRITER_OPERATION.volumeRestore);
  const record = stoppedRecord(lock, WRITER_OPERATION.volumeRestore, { volume: opts.volume });
  let stopped: string[] = [];
  let session: HelperSession | undefined;
  try {
    await waitForVolumeCleanup(docker, opts.volume, log);
    await removeStaleHelpers(docker, opts.volume, log);
    const dirs = swapDirs();
    const stopAll = async () => {
      if (toStop.length) progress({ phase: `Stopping ${toStop.join(', ')}` });
      stopped = unique([
        ...stopped,
        ...(await stopContainers(docker, toStop, log, (names) => record.note(unique([...stopped, ...names])))),
      ]);
    };

    session = await HelperSession.open(docker, { volume: opts.volume, image, purpose: 'restore' }, log);
    stopped = await takeOverLeftStopped(docker, session, { lock, record }, opts, image);
    const needed = await unpackedBytes(manifest, source).catch(() => undefined);
    if (needed) await checkRoom(session, opts.volume, needed);

    // Contract 3 in docs/contracts.md, the long way: a kept snapshot file needs the containers down
    // while it is read.
    let safety: Safety | undefined;
    if (opts.keepSafetySnapshot) {
      await stopAll();
      safety = await writeSafetySnapshot(docker, opts, { image, facts, stopped });
    }

    // 2. Staged beside the live data, read and checked in the same pass.
    throwIfAborted(opts.signal);
    const checked = await stage(session, { ...opts, manifest, staging: dirs.staging, log, source });
    const root = manifest?.volumeRoot ?? checked.root;

    // 3-4. Swap. A safety snapshot has stopped the containers already; otherwise they stop only
    // once everything that can be done while they run is done.
    const previousRoot = await prepareSwap(session, dirs, opts.keepSafetySnapshot ? async () => {} : stopAll, opts.signal, log);
    const startOrder = [...stopped].reverse();
    await swapAndStart(docker, session, opts, { dirs, root, previousRoot, startOrder, safety });
    const previous = await removePrevious(docker, opts.volume, image, dirs, log);
    log.info(`Restored ${opts.volume} from ${opts.file}. ${previous}${safety ? ` Safety snapshot kept at ${safety.path}.` : ''}`);
    return { volume: opts.volume, safety, previous, restarted: startOrder, restored: checked, root, durationMs: Date.now() - started };
  } finally {
    await restartAndRelease(docker, stopped, session, { lock, record }, log);
  }
}

type Safety = { path: string; manifest: VolumeManifest };

/** The volume's facts, or undefined when it is missing and the caller allowed making it again. */
async function inspectUnlessMissing(docker: Docker, opts: WithDefaults<VolumeRestoreOptions>): Promise<VolumeFacts | undefined> {
  try {
    return await inspectVolume(docker, opts.volume);
  } catch (err) {
    if (!(err instanceof VolumeMissingError)) throw err;
    if (!opts.recreateMissing) {
      throw new VolumeMissingError(
        opts.volume,
        'Restore it with the option to re-create the volume (the command offers it): it is made again with the driver and labels the snapshot recorded. Nothing was changed.',
      );
    }
    return undefined;
  }
}

/**
 * A snapshot or restore killed with the containers stopped never started them: once the volume
 * is known to hold one content whole, they are this restore's to start again (contract 5),
 * whatever happens next. Its record of them becomes this restore's at once, should this one be
 * killed too. Returns them.
 */
async function takeOverLeftStopped(
  docker: Docker,
  session: HelperSession,
  held: Held,
  opts: WithDefaults<VolumeRestoreOptions>,
  image: string,
): Promise<string[]> {
  const log = opts.logger;
  const records = await containersLeftStopped(docker, opts.backupDir, held.lock);
  const leftDown = unique(records.flatMap((r) => r.down));
  await settleLeftovers(session, opts.volume, image, log, leftDown, true);
  if (!leftDown.length) return [];
  const by = records[0];
  log.warn(
    `${leftDown.join(', ')} ${leftDown.length > 1 ? 'were' : 'was'} left stopped by an interrupted ${by.operation} (process ${by.pid}, started ${by.startedAt}); this restore starts ${leftDown.length > 1 ? 'them' : 'it'} again when it ends.`,
  );
  await held.record.note(leftDown);
  return leftDown;
}

/** The volume's lock, and the record next to it of the containers this restore has stopped. */
type Held = { lock: HeldLock; record: StoppedNote };

async function writeSafetySnapshot(
  docker: Docker,
  opts: WithDefaults<VolumeRestoreOptions>,
  s: { image: string; facts: VolumeFacts; stopped: string[] },
): Promise<Safety> {
  const snapOpts: WriteSnapshotOptions = {
    volume: opts.volume,
    backupDir: opts.backupDir,
    image: s.image,
    facts: s.facts,
    stopped: s.stopped,
    level: opts.safetyLevel ?? 1,
    now: opts.now,
    purpose: 'safety',
    signal: opts.signal,
    progress: opts.progress,
    logger: opts.logger,
  };
  return writeVolumeSnapshot(docker, snapOpts);
}

interface Swap {
  dirs: SwapDirs;
  root?: VolumeRoot;
  previousRoot?: VolumeRoot;
  startOrder: string[];
  safety?: Safety;
}

/**
 * Steps 3-4: the live content aside, the staged content up, the containers started and healthy.
 * From the first move on, a failure (or cancel) moves the previous content back.
 */
async function swapAndStart(docker: Docker, session: HelperSession, opts: WithDefaults<VolumeRestoreOptions>, s: Swap): Promise<void> {
  const log = opts.logger;
  opts.progress({ phase: `Swapping ${opts.volume} (the previous content is kept aside)` });
  // Tells the rollback whether what is left at the top of the volume is live data or staged.
  let movingIn = false;
  try {
    await moveLiveAside(session, s.dirs);
    movingIn = true;
    await moveStagedIn(session, s.dirs, s.root, s.previousRoot, basename(opts.file), log);
    await startHealthy(docker, s.startOrder, opts);
  } catch (err) {
    throw await rollBack(docker, err, {
      session,
      volume: opts.volume,
      file: opts.file,
      aside: s.dirs.aside,
      staging: s.dirs.staging,
      movingIn,
      previousRoot: s.previousRoot,
      safety: s.safety,
      startOrder: s.startOrder,
      healthTimeoutMs: opts.healthTimeoutMs,
      log,
    });
  }
}

async function startHealthy(docker: Docker, startOrder: string[], opts: WithDefaults<VolumeRestoreOptions>): Promise<void> {
  const { logger: log, progress } = opts;
  if (startOrder.length) progress({ phase: `Starting ${startOrder.join(', ')}` });
  await startContainers(docker, startOrder, log);
  if (startOrder.length) progress({ phase: 'Waiting for health checks' });
  await waitForContainers(docker, startOrder, { timeoutMs: opts.healthTimeoutMs ?? 120_000, signal: opts.signal, log });
}

/**
 * Contract 5 in docs/contracts.md: whatever this restore stopped starts again, on error and cancel
 * too. The helper and the lock go whatever the start did; a later step's failure is the one thrown.
 */
async function restartAndRelease(
  docker: Docker,
  stopped: string[],
  session: HelperSession | undefined,
  held: Held,
  log: Logger,
): Promise<void> {
  try {
    await startContainers(docker, [...stopped].reverse(), log);
    // Kept when they did not start: the next run, or `lifeboat status` once this process is gone, names them.
    await held.record.clear();
  } finally {
    await closeAndRelease(session, held.lock);
  }
}

async function closeAndRelease(session: HelperSession | undefined, lock: HeldLock): Promise<void> {
  try {
    await session?.close();
  } finally {
    await lock.release();
  }
}

function unique(names: string[]): string[] {
  return [...new Set(names)];
}
