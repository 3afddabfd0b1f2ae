import type Docker from 'dockerode';
import { BackupSource, KeyProvider, openBackupSource } from '../encryption';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { basename } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { startContainers, stopContainers } from '../stack';
import type { Stack } from '../stack';
import { waitForContainers, toEngineError } from '../docker';
import {
  CancelledError,
  LifeboatError,
  fsError,
  isCancelled,
  throwIfAborted,
  Logger,
  OperationOptions,
  ProgressFn,
  WithDefaults,
  withDefaults,
} from '../common';
import { ensurePrivateDir, acquireLock, WRITER_OPERATION, readManifest } from '../store';
import { HashStream } from '../streams';
import {
  VolumeFacts,
  VolumeMissingError,
  VolumeSpec,
  VolumeUser,
  createHelper,
  createVolume,
  inspectVolume,
  removeHelper,
  removeInBackground,
  removeStaleHelpers,
  removeVolumeQuietly,
  resolveHelperImage,
  runHelper,
  volumeUsers,
  waitForVolumeCleanup,
} from './helperContainer';
import { HelperSession } from './helperSession';
import { VolumeManifest, WriteSnapshotOptions, volumeLockName, writeVolumeSnapshot } from './volumeSnapshot';
import { CheckedVolumeArchive, VolumeRoot, VolumeTarScan, checkVolumeArchive, explainArchive } from './volumeTarScan';
import { settleLeftovers } from './volumeLeftovers';
import { checkRoom, unpackedBytes } from './volumeRoom';

const PROJECT = 'com.docker.compose.project';

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

  const { manifest: raw, problem } = await readManifest(opts.file);
  if (problem) log.warn(`${opts.file}: ${problem}`);
  if (raw && raw.kind !== 'volume') {
    throw new LifeboatError(
      `${basename(opts.file)} is a ${raw.kind} backup, not a volume snapshot.`,
      'Choose a volume snapshot.',
      undefined,
      { ui: 'choose-volume-snapshot' },
    );
  }
  const manifest = raw as VolumeManifest | undefined;
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
  let facts: VolumeFacts;
  try {
    facts = await inspectVolume(docker, opts.volume);
  } catch (err) {
    if (!(err instanceof VolumeMissingError)) throw err;
    if (!opts.recreateMissing) {
      throw new VolumeMissingError(
        opts.volume,
        'Restore it with the option to re-create the volume (the command offers it): it is made again with the driver and labels the snapshot recorded. Nothing was changed.',
      );
    }
    const checked = await checkVolumeArchive(opts.file, { ...opts, open: source.open });
    checkAgainstManifest(opts.file, manifest, checked, source);
    return recreateAndRestore(docker, opts, { manifest, checked, root: manifest?.volumeRoot ?? checked.root, started, source });
  }
  const users = await volumeUsers(docker, opts.volume);
  const project = opts.stack?.project ?? facts.labels[PROJECT];
  const inStack = (u: VolumeUser) => !!opts.stack && (u.id === opts.stack.db.id || opts.stack.apps.some((a) => a.id === u.id));
  const outsiders = users.filter((u) => u.running && project !== undefined && u.project !== project && !inStack(u));
  if (outsiders.length) {
    throw new LifeboatError(
      `The volume ${opts.volume} is used by ${outsiders.map((u) => u.name).join(', ')}, which ${outsiders.length > 1 ? 'are' : 'is'} running outside the Compose project ${project}. Nothing was changed.`,
      `Stop ${outsiders.length > 1 ? 'them' : 'it'} first (\`docker stop ${outsiders[0].name}\`): Lifeboat only stops the project's own containers.`,
    );
  }
  const image = await resolveHelperImage(docker, opts.volume, opts.helperImage, users);
  // Apps first, then the database, so no app sees its database vanish mid-request.
  const toStop = unique([
    ...(opts.stack ? opts.stack.apps.map((a) => a.name) : []),
    ...users.filter((u) => u.running && !u.postgres).map((u) => u.name),
    ...(opts.stack ? [opts.stack.db.name] : []),
    ...users.filter((u) => u.running && u.postgres).map((u) => u.name),
  ]);

  await ensurePrivateDir(opts.backupDir);
  const lock = await acquireLock(opts.backupDir, volumeLockName(opts.volume), WRITER_OPERATION.volumeRestore);
  let stopped: string[] = [];
  let session: HelperSession | undefined;
  try {
    await waitForVolumeCleanup(docker, opts.volume, log);
    await removeStaleHelpers(docker, opts.volume, log);
    const id = randomBytes(4).toString('hex');
    const dirs = { staging: `.lifeboat-restore-${id}`, aside: `.lifeboat-safety-${id}` };
    const stopAll = async () => {
      if (toStop.length) progress({ phase: `Stopping ${toStop.join(', ')}` });
      stopped = unique([
        ...stopped,
        ...(await stopContainers(docker, toStop, log, (names) => lock.noteStopped(unique([...stopped, ...names])))),
      ]);
    };

    session = await HelperSession.open(docker, { volume: opts.volume, image, purpose: 'restore' }, log);
    // A restore killed with the containers stopped never started them: once the volume is
    // known to hold one content whole, they are this restore's to start again (contract 5),
    // whatever happens next. Recorded in the lock at once, should this one be killed too.
    const leftDown = lock.previous?.stopped ?? [];
    await settleLeftovers(session, opts.volume, image, log, leftDown);
    if (leftDown.length) {
      log.warn(
        `${leftDown.join(', ')} ${leftDown.length > 1 ? 'were' : 'was'} left stopped by an interrupted ${lock.previous!.operation} (process ${lock.previous!.pid}, started ${lock.previous!.startedAt}); this restore starts ${leftDown.length > 1 ? 'them' : 'it'} again when it ends.`,
      );
      await lock.noteStopped(leftDown);
      stopped = [...leftDown];
    }
    const needed = await unpackedBytes(manifest, source).catch(() => undefined);
    if (needed) await checkRoom(session, opts.volume, needed);

    // Contract 3 in docs/contracts.md, the long way: a kept snapshot file needs the containers down
    // while it is read.
    let safety: { path: string; manifest: VolumeManifest } | undefined;
    if (opts.keepSafetySnapshot) {
      await stopAll();
      const snapOpts: WriteSnapshotOptions = {
        volume: opts.volume,
        backupDir: opts.backupDir,
        image,
        facts,
        stopped,
        level: opts.safetyLevel ?? 1,
        now: opts.now,
        purpose: 'safety',
        signal: opts.signal,
        progress,
        logger: log,
      };
      safety = await writeVolumeSnapshot(docker, snapOpts);
    }

    // 2. Staged beside the live data, read and checked in the same pass.
    throwIfAborted(opts.signal);
    const checked = await stage(session, { ...opts, manifest, staging: dirs.staging, log, source });
    const root = manifest?.volumeRoot ?? checked.root;

    // 3-4. Swap; from the first move on, a failure moves the previous content back. What can
    // be done before the containers stop is, to keep their downtime to the renames.
    let previousRoot: VolumeRoot | undefined;
    try {
      previousRoot = parseRoot(await session.run(['stat', '-c', '%u:%g:%a', '/data']));
      await session.run(['mkdir', '-m', '700', `/data/${dirs.aside}`]);
      throwIfAborted(opts.signal);
      if (!opts.keepSafetySnapshot) await stopAll();
    } catch (err) {
      // Nothing of the live data was touched yet: leave the volume without our folders.
      await removeStaging(session, `/data/${dirs.staging}`, log);
      await removeStaging(session, `/data/${dirs.aside}`, log);
      throw err;
    }
    const startOrder = [...stopped].reverse();
    progress({ phase: `Swapping ${opts.volume} (the previous content is kept aside)` });
    // Until the staged content starts moving up, every top-level entry but ours is live data.
    let movingIn = false;
    try {
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
      movingIn = true;
      await session.run(['find', `/data/${dirs.staging}`, '-mindepth', '1', '-maxdepth', '1', '-exec', 'mv', '-t', '/data', '{}', '+']);
      // The root usually keeps its owner and mode from one snapshot to the next: two fewer steps while down.
      if (!sameRoot(root, previousRoot)) await setRoot(session, root, basename(opts.file), log);
      if (startOrder.length) progress({ phase: `Starting ${startOrder.join(', ')}` });
      await startContainers(docker, startOrder, log);
      if (startOrder.length) progress({ phase: 'Waiting for health checks' });
      await waitForContainers(docker, startOrder, { timeoutMs: opts.healthTimeoutMs ?? 120_000, signal: opts.signal, log });
    } catch (err) {
      throw await rollBack(docker, err, {
        session,
        volume: opts.volume,
        file: opts.file,
        aside: dirs.aside,
        staging: dirs.staging,
        movingIn,
        previousRoot,
        safety,
        startOrder,
        healthTimeoutMs: opts.healthTimeoutMs,
        log,
      });
    }
    // Healthy: the previous content has served its purpose. Its removal frees disk space only,
    // so it runs detached; the next operation on the volume waits for it.
    let previous = 'The previous content was kept aside in the volume until the containers were healthy, then removed.';
    try {
      // The emptied staging folder goes with it.
      await removeInBackground(docker, { volume: opts.volume, image, paths: [`/data/${dirs.aside}`, `/data/${dirs.staging}`] });
    } catch (err) {
      previous = `The previous content is still in the volume, in ${dirs.aside}: it could not be removed (${(err as Error).message}). Remove it by hand.`;
      log.warn(previous);
    }
    log.info(`Restored ${opts.volume} from ${opts.file}. ${previous}${safety ? ` Safety snapshot kept at ${safety.path}.` : ''}`);
    return { volume: opts.volume, safety, previous, restarted: startOrder, restored: checked, root, durationMs: Date.now() - started };
  } finally {
    try {
      try {
        await startContainers(docker, [...stopped].reverse(), log);
      } finally {
        await session?.close();
      }
    } finally {
      await lock.release();
    }
  }
}

function checkAgainstManifest(
  file: string,
  manifest: VolumeManifest | undefined,
  checked: CheckedVolumeArchive,
  source: BackupSource,
): void {
  // An encrypted snapshot was read from its decryption: its manifest's plaintext sha256 is the one to match.
  const differs = source.encryption
    ? !!manifest?.encryption?.plaintextSha256 && manifest.encryption.plaintextSha256 !== checked.fileSha256
    : !!manifest?.file.sha256 && (manifest.file.sha256 !== checked.fileSha256 || manifest.file.bytes !== checked.fileBytes);
  if (differs) {
    throw new LifeboatError(
      `${basename(file)} does not match its manifest (sha256 or size differs): it changed after it was made. Nothing was changed.`,
      'Choose another snapshot; this one is damaged or was replaced.',
    );
  }
  if (checked.entries === 0) {
    throw new LifeboatError(`${basename(file)} holds no entries at all; it is not a volume snapshot. Nothing was changed.`);
  }
}

interface StageSpec extends OperationOptions {
  progress: ProgressFn;
  volume: string;
  file: string;
  manifest?: VolumeManifest;
  staging: string;
  log: Logger;
  source: BackupSource;
}

/**
 * Reads the snapshot once: file → sha256 → gunzip → tar parse and contract 9 in docs/contracts.md →
 * Docker's archive API, into `/data/<staging>`, with backpressure end to end. Docker gets a plain
 * tar (no second decompression on a shared CPU). The tar is only accepted when the parse reached
 * the end-of-archive marker and the checksum matches the manifest; otherwise the staging folder
 * goes, and the error says nothing was changed (the live data never was).
 */
async function stage(session: HelperSession, spec: StageSpec): Promise<CheckedVolumeArchive> {
  const { progress } = spec;
  const target = `/data/${spec.staging}`;
  let total: number;
  try {
    total = (await fs.stat(spec.file)).size;
  } catch (err) {
    throw fsError(err, 'read the snapshot', spec.file);
  }
  await session.run(['mkdir', '-m', '700', target]);
  const phase = `Restoring ${spec.volume}`;
  progress({ phase, bytes: 0, total });
  // After passing the chunk on: a progress callback may cancel, destroying the stream.
  const hash = new HashStream((bytes) => progress({ phase, bytes, total }));
  const scan = new VolumeTarScan({ guard: 'refuse' });
  try {
    // dockerode pipes the body into the request and destroys the request when the body
    // errors, so a bad archive or a cancel (the pipeline's signal) ends the upload.
    const feeding = pipeline(spec.source.open(spec.signal), hash, createGunzip({ chunkSize: 1 << 18 }), scan, { signal: spec.signal });
    feeding.catch(() => undefined);
    let putError: unknown;
    try {
      await session.container.putArchive(scan as unknown as Readable, { path: target });
    } catch (err) {
      putError = err;
    }
    // The parse is the judge: Docker may accept a tar cut at an entry boundary.
    try {
      await feeding;
    } catch (err) {
      if (spec.signal?.aborted) throw new CancelledError();
      throw explainArchive(err, spec.file);
    }
    if (putError) {
      if (spec.signal?.aborted) throw new CancelledError();
      throw toEngineError(
        putError,
        (err) =>
          new LifeboatError(
            `Docker could not unpack ${basename(spec.file)} into ${spec.volume}: ${(err as Error).message}. Nothing was changed.`,
            'Check the free space of the Docker volume storage (`docker system df`): the restore needs room for the snapshot beside the current content.',
            undefined,
            { cause: err },
          ),
      );
    }
    const checked = { ...scan.facts, fileBytes: hash.bytes, fileSha256: hash.digest() };
    checkAgainstManifest(spec.file, spec.manifest, checked, spec.source);
    return checked;
  } catch (err) {
    await removeStaging(session, target, spec.log);
    throw err;
  }
}

/** Removes the staging folder; retried, since an aborted upload may still be landing files. */
async function removeStaging(session: HelperSession, target: string, log: Logger): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await session.run(['rm', '-rf', target]);
      return;
    } catch (err) {
      if (attempt >= 3) {
        log.warn(`Could not remove the staging folder ${target} from the volume: ${(err as Error).message}`);
        return;
      }
      await new Promise((r) => setTimeout(r, 300 * attempt));
    }
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
async function setRoot(session: HelperSession, root: VolumeRoot | undefined, what: string, log: Logger): Promise<void> {
  if (!root) {
    log.warn(`${what} records no owner or mode of the volume root; it stays as it was.`);
    return;
  }
  // chown first: it clears set-id bits, which chmod then puts back.
  await session.run(['chown', `${root.uid}:${root.gid}`, '/data']);
  await session.run(['chmod', root.mode.toString(8), '/data']);
}

interface RollBack {
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
async function rollBack(docker: Docker, err: unknown, r: RollBack): Promise<Error> {
  const cancelled = isCancelled(err);
  const cause = cancelled ? 'it was cancelled' : ((err as Error)?.message ?? String(err));
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
      `Restoring ${r.volume} from ${basename(r.file)} failed (${cause}), and moving its previous content back failed too: ${(rbErr as Error).message}`,
      `The previous content is inside the volume, in the folder ${r.aside}${kept}; move it back once the cause is fixed (see the Lifeboat log).`,
      undefined,
      { cause: rbErr },
    );
  }
  let health = '';
  try {
    await startContainers(docker, r.startOrder, r.log);
    await waitForContainers(docker, r.startOrder, { timeoutMs: r.healthTimeoutMs ?? 120_000, log: r.log });
    if (r.startOrder.length) health = ` and ${r.startOrder.join(', ')} ${r.startOrder.length > 1 ? 'are' : 'is'} running again`;
  } catch (startErr) {
    health = `, but the containers did not come back healthy: ${(startErr as Error).message}`;
  }
  if (cancelled) {
    r.log.info(`Restore of ${r.volume} cancelled; the volume is as it was${health}.`);
    return new CancelledError();
  }
  return new LifeboatError(
    `Restoring ${r.volume} from ${basename(r.file)} failed: ${cause}. The volume is as it was: its previous content, kept aside, was put back${health}.`,
    `${r.safety ? `A safety snapshot is also kept at ${r.safety.path}. ` : ''}See the Lifeboat log for the containers' output.`,
  );
}

interface Recreate {
  manifest?: VolumeManifest;
  checked: CheckedVolumeArchive;
  root?: VolumeRoot;
  started: number;
  source: BackupSource;
}

/**
 * The "Complete system failure" path: the volume is gone, so no container can be using it and
 * there is nothing to lose, hence no safety snapshot and nothing to stop. The volume is made
 * with the recorded driver, options and labels (the Compose ones included, so `docker compose
 * up` adopts it), checked to be empty (a volume made meanwhile by someone else is refused, not
 * overwritten), and filled. A failure removes the volume again: the state is as it was.
 */
async function recreateAndRestore(docker: Docker, opts: WithDefaults<VolumeRestoreOptions>, r: Recreate): Promise<VolumeRestoreResult> {
  const log = opts.logger;
  const recorded = r.manifest?.volumeDriver;
  const spec: VolumeSpec = recorded
    ? { driver: recorded.driver || 'local', options: recorded.options ?? {}, labels: recorded.labels ?? {} }
    : { driver: 'local', options: {}, labels: {} };
  const image = await resolveHelperImage(docker, opts.volume, opts.helperImage, [], [r.manifest?.source.image]);
  await ensurePrivateDir(opts.backupDir);
  const lock = await acquireLock(opts.backupDir, volumeLockName(opts.volume), WRITER_OPERATION.volumeRestore);
  let created = false;
  try {
    throwIfAborted(opts.signal);
    opts.progress({ phase: `Creating the volume ${opts.volume}` });
    const facts = await createVolume(docker, opts.volume, spec);
    created = true;
    // `volume create` returns an existing volume of the same name without complaint.
    if ((await volumeUsers(docker, opts.volume)).length) throw madeMeanwhile(opts.volume);
    try {
      await runHelper(docker, { volume: opts.volume, image, readOnly: true, purpose: 'emptycheck', argv: NOT_EMPTY_ARGV }, log);
    } catch (err) {
      if (err instanceof LifeboatError && /exit code 1\b/.test(err.message)) throw madeMeanwhile(opts.volume);
      throw err;
    }
    await putVolume(docker, {
      volume: opts.volume,
      image,
      file: opts.file,
      source: r.source,
      root: r.root,
      signal: opts.signal,
      progress: opts.progress,
      log,
      empty: false,
    });
    const note = recorded
      ? `The volume ${opts.volume} did not exist; it was made again with the driver ${facts.driver} and the labels the snapshot recorded. No safety snapshot was taken: there was nothing to lose.`
      : `The volume ${opts.volume} did not exist; it was made again with the local driver and no labels (the snapshot has no manifest to say how it was made). No safety snapshot was taken: there was nothing to lose.`;
    log.info(`Restored ${opts.volume} from ${opts.file}. ${note}`);
    created = false;
    return {
      volume: opts.volume,
      recreated: { facts, fromManifest: !!recorded, note },
      restarted: [],
      restored: r.checked,
      root: r.root,
      durationMs: Date.now() - r.started,
    };
  } catch (err) {
    if (created && !(err instanceof MadeMeanwhile)) await removeVolumeQuietly(docker, opts.volume, log);
    if (opts.signal?.aborted) throw new CancelledError();
    throw err;
  } finally {
    await lock.release();
  }
}

class MadeMeanwhile extends LifeboatError {}

function madeMeanwhile(volume: string): LifeboatError {
  return new MadeMeanwhile(
    `The volume ${volume} was created by something else while Lifeboat was about to re-create it, and it is not empty. Nothing was changed.`,
    'Restore again: the volume exists now, so the restore takes a safety snapshot of it first.',
  );
}

/** Exits 1 when /data holds anything (busybox and GNU find alike report a failed `-exec … +`). */
const NOT_EMPTY_ARGV = ['find', '/data', '-mindepth', '1', '-maxdepth', '1', '-exec', 'false', '{}', '+'];

interface PutSpec {
  volume: string;
  image: string;
  file: string;
  source: BackupSource;
  root?: VolumeRoot;
  signal?: AbortSignal;
  progress: ProgressFn;
  log: Logger;
  /** false: the volume is known to be empty (just created). */
  empty?: boolean;
}

/**
 * Empties the volume and puts a .tar.gz into it (Docker unpacks gzip itself), streamed from the
 * file with backpressure; then sets the root's owner and mode, which putArchive leaves at 0:0 755.
 * The helper runs argv only (contract 7 in docs/contracts.md): `find … -exec rm`, `chown`, `chmod`.
 */
async function putVolume(docker: Docker, spec: PutSpec): Promise<void> {
  const { progress } = spec;
  throwIfAborted(spec.signal);
  if (spec.empty !== false) {
    progress({ phase: `Emptying ${spec.volume}` });
    await runHelper(docker, { volume: spec.volume, image: spec.image, readOnly: false, purpose: 'empty', argv: EMPTY_ARGV }, spec.log);
    throwIfAborted(spec.signal);
  }

  const helper = await createHelper(docker, { volume: spec.volume, image: spec.image, readOnly: false, purpose: 'restore' });
  try {
    const phase = `Restoring ${spec.volume}`;
    let bytes = 0;
    const counter = new Transform({
      highWaterMark: 1 << 20,
      transform(chunk: Buffer, _enc, done) {
        bytes += chunk.length;
        done(null, chunk);
        // After passing the chunk on: a progress callback may cancel, destroying this stream.
        progress({ phase, bytes });
      },
    });
    // dockerode pipes the body into the request and destroys the request when the body
    // errors, so a cancel (the pipeline's signal) ends the upload.
    const feeding = pipeline(spec.source.open(spec.signal), counter, { signal: spec.signal });
    feeding.catch(() => undefined);
    try {
      await helper.putArchive(counter, { path: '/data' });
      await feeding;
    } catch (err) {
      if (spec.signal?.aborted) throw new CancelledError();
      throw toEngineError(
        err,
        (e) =>
          new LifeboatError(
            `Docker could not unpack ${basename(spec.file)} into ${spec.volume}: ${(e as Error).message}`,
            undefined,
            undefined,
            { cause: e },
          ),
      );
    }
  } finally {
    await removeHelper(helper, spec.log);
  }

  if (!spec.root) {
    spec.log.warn(`${basename(spec.file)} records no owner or mode of the volume root; it stays 0:0 755.`);
    return;
  }
  const { uid, gid, mode } = spec.root;
  // chown first: it clears set-id bits, which chmod then puts back.
  await runHelper(
    docker,
    { volume: spec.volume, image: spec.image, readOnly: false, purpose: 'chown', argv: ['chown', `${uid}:${gid}`, '/data'] },
    spec.log,
  );
  await runHelper(
    docker,
    { volume: spec.volume, image: spec.image, readOnly: false, purpose: 'chmod', argv: ['chmod', mode.toString(8), '/data'] },
    spec.log,
  );
}

/** `-delete` is missing from some busybox builds; `-exec rm -rf {} +` works in busybox and GNU find alike. */
const EMPTY_ARGV = ['find', '/data', '-mindepth', '1', '-maxdepth', '1', '-exec', 'rm', '-rf', '{}', '+'];

function unique(names: string[]): string[] {
  return [...new Set(names)];
}
