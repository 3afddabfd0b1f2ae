import type Docker from 'dockerode';
import { promises as fs } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { startContainers, stopContainers } from '../stack';
import {
  AtomicFile,
  freeName,
  partialStream,
  ensurePrivateDir,
  HeldLock,
  StoppedNote,
  acquireLock,
  stoppedRecord,
  WRITER_OPERATION,
  sweepStalePartials,
  assertRoomForBackup,
  Manifest,
  KIND_FOLDERS,
  safeSegment,
  timestamp,
} from '../store';
import { isEngineDown, pingDocker, toEngineError } from '../docker';
import {
  CancelledError,
  DockerUnavailableError,
  LifeboatError,
  fsError,
  isFsError,
  throwIfAborted,
  Logger,
  OperationOptions,
  WithDefaults,
  withDefaults,
  toolVersion,
  formatBytes,
  formatCountOf,
  quoteList,
} from '../common';
import { HashStream, ParallelGzip } from '../streams';
import {
  VolumeFacts,
  VolumeSpec,
  VolumeUser,
  createHelper,
  inspectVolume,
  removeHelper,
  removeStaleHelpers,
  resolveHelperImage,
  runHelper,
  volumeUsers,
  waitForVolumeCleanup,
} from './helperContainer';
import { checkLeftovers } from './volumeLeftovers';
import { startLeftStoppedOnVolume } from './startLeftStoppedOnVolume';
import { TarTruncated, VolumeRoot, VolumeTarScan } from './volumeTarScan';

const PROJECT = 'com.docker.compose.project';

/** The manifest of a volume snapshot: the common fields plus what a restore needs to rebuild the volume. */
export interface VolumeManifest extends Manifest {
  kind: 'volume';
  /** Owner and mode of the volume's root folder; Docker's putArchive does not restore them. */
  volumeRoot?: VolumeRoot;
  /** Tar entries (the root included), regular files, and the files' bytes. */
  entryCount: number;
  fileCount: number;
  dataBytes: number;
  /** How the volume was created, so a lost volume can be made again the same way. */
  volumeDriver: VolumeSpec;
  /** Containers stopped for a consistent copy (a database must not be copied while it writes). */
  stoppedContainers: string[];
  /**
   * 'safety': taken by a restore just before it replaced the volume (contract 3 in
   * docs/contracts.md).
   */
  purpose?: 'safety';
}

export interface VolumeSnapshotOptions extends OperationOptions {
  volume: string;
  /** The backup folder; the snapshot goes to its `volumes/` subfolder. */
  backupDir: string;
  /** Setting lifeboat.volumes.helperImage; default: the image of a container that mounts the volume. */
  helperImage?: string;
  /**
   * Containers to stop during the copy and start again afterwards (contract 5 in
   * docs/contracts.md). 'auto' (the default) stops the running containers that mount the volume
   * when one of them is PostgreSQL; `[]` copies live.
   */
  stopContainers?: string[] | 'auto';
  level?: number;
  now?: () => Date;
}

export interface VolumeSnapshotResult {
  path: string;
  manifest: VolumeManifest;
  /** Containers that were stopped for the copy (and are running again). */
  stopped: string[];
}

/** The lock name of a volume: one writer per volume (contract 11 in docs/contracts.md). */
export function volumeLockName(volume: string): string {
  return `volume_${safeSegment(volume)}`;
}

export function volumeSnapshotName(volume: string, date: Date): string {
  return `volume_${safeSegment(volume)}_${timestamp(date)}.tar.gz`;
}

/**
 * Snapshots a Docker volume to `volumes/volume_<volume>_YYYYMMDD_HHMMSS.tar.gz`: a helper
 * container, created but never started, with the volume read-only at /data and no network; Docker's
 * archive of /data streams through a tar parser (entries, bytes, the root's owner and mode, and
 * proof the tar is whole), the parallel gzip and a hash to a partial file, which is fsynced and
 * renamed (contract 1 in docs/contracts.md). Stopped containers are started again in a `finally`.
 */
export async function snapshotVolume(docker: Docker, options: VolumeSnapshotOptions): Promise<VolumeSnapshotResult> {
  const opts = withDefaults(options);
  const { logger: log, progress } = opts;
  throwIfAborted(opts.signal);
  const facts = await inspectVolume(docker, opts.volume);
  const users = await volumeUsers(docker, opts.volume);
  const image = await resolveHelperImage(docker, opts.volume, opts.helperImage, users);
  const auto = opts.stopContainers === undefined || opts.stopContainers === 'auto';
  let toStop = auto ? autoStop(users) : (opts.stopContainers as string[]);

  await ensurePrivateDir(opts.backupDir);
  await assertRoomForBackup(opts.backupDir, 'volume', opts.volume);
  const lock = await acquireLock(opts.backupDir, volumeLockName(opts.volume), WRITER_OPERATION.volume);
  const record = stoppedRecord(lock, WRITER_OPERATION.volume, { volume: opts.volume });
  let stopped: string[] = [];
  let failure: unknown;
  try {
    const subject = safeSegment(opts.volume);
    await sweepStalePartials({
      backupDir: opts.backupDir,
      dir: join(opts.backupDir, KIND_FOLDERS.volume),
      kind: 'volume',
      subject,
      ownLock: lock.path,
      logger: log,
    });
    await removeStaleHelpers(docker, opts.volume, log);
    const restarted = await startLeftStoppedOnVolume(docker, lock, { backupDir: opts.backupDir, volume: opts.volume, image, log });
    if (restarted.length && auto) {
      toStop = autoStop(await volumeUsers(docker, opts.volume));
    }
    // A restore's detached removal of the previous content must not end up in the copy.
    await waitForVolumeCleanup(docker, opts.volume, log);
    // The app is down from here on: the progress says so, whoever is watching.
    if (toStop.length) progress({ phase: `Stopping ${toStop.join(', ')}…` });
    stopped = await stopContainers(docker, toStop, log, record.note);
    const written = await writeVolumeSnapshot(docker, { ...opts, image, facts, stopped });
    return { ...written, stopped };
  } catch (err) {
    failure = err;
    throw err;
  } finally {
    await restartAndRelease(docker, [...stopped].reverse(), { lock, record }, log, progress, failure);
  }
}

/**
 * The containers the snapshot stopped could not be started again (the engine went away
 * mid-copy, say). The snapshot's own failure leads when there is one; either way the user
 * learns they are down and how to start them now, not only from the record the next run reads.
 */
function stillStopped(failure: unknown, names: string[], why: unknown): LifeboatError {
  const one = names.length === 1;
  // startContainers' own hint (docker compose start) is replaced by the exact command below.
  const hint =
    failure instanceof LifeboatError && failure.hint
      ? `${failure.hint} `
      : why instanceof DockerUnavailableError && why.hint
        ? `${why.hint} `
        : '';
  const first = failure ? `${(failure as Error)?.message ?? String(failure)} ` : 'The snapshot was written, but ';
  const outcome = failure ? ' No snapshot was written; older ones were not touched.' : '';
  return new LifeboatError(
    `${first}${names.map((n) => `"${n}"`).join(', ')} ${one ? 'was' : 'were'} stopped for the copy and could not be started again (${(why as Error)?.message ?? String(why)}), so ${one ? 'it is' : 'they are'} stopped now.${outcome}`,
    `${hint}Once Docker answers, start ${one ? 'it' : 'them'} with \`docker start ${names.join(' ')}\`.`,
    undefined,
    { cause: failure ?? why },
  );
}

async function restartAndRelease(
  docker: Docker,
  names: string[],
  held: { lock: HeldLock; record: StoppedNote },
  log: Logger,
  progress: (u: { phase: string }) => void,
  failure?: unknown,
): Promise<void> {
  try {
    if (names.length) progress({ phase: `Starting ${names.join(', ')}…` });
    await startContainers(docker, names, log).catch(async (startErr: unknown) => {
      // Why they did not start, in words: most often the engine itself is gone.
      const why = await pingDocker(docker).then(
        () => startErr,
        (down: unknown) => down,
      );
      throw stillStopped(failure, names, why);
    });
    // Kept when they did not start: the next run, or `lifeboat status` once this process is gone, names them.
    await held.record.clear();
  } finally {
    await held.lock.release();
  }
}

/**
 * The containers a snapshot in 'auto' mode would stop, so a user can be asked before the app
 * goes down.
 */
export async function containersToStop(docker: Docker, volume: string): Promise<string[]> {
  return autoStop(await volumeUsers(docker, volume));
}

/**
 * How long the newest snapshot of `volume` took to copy, from its manifest: the best guess of
 * how long the next one keeps the containers stopped. Undefined without history.
 */
export async function lastSnapshotDuration(backupDir: string, volume: string): Promise<number | undefined> {
  const dir = join(backupDir, KIND_FOLDERS.volume);
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return undefined;
  }
  const prefix = `volume_${safeSegment(volume)}_`;
  const manifests = names.filter((n) => n.startsWith(prefix) && /^\d{8}_\d{6}\.tar\.gz(\.(age|enc))?\.json$/.test(n.slice(prefix.length)));
  // The timestamp in the name sorts chronologically; the newest with a duration wins.
  for (const name of manifests.sort().reverse()) {
    try {
      const m = JSON.parse(await fs.readFile(join(dir, name), 'utf8')) as Partial<VolumeManifest>;
      if (typeof m.durationMs === 'number' && m.durationMs >= 0) return m.durationMs;
    } catch {
      // An unreadable manifest is no history; an older one may still be.
    }
  }
  return undefined;
}

/** A database writes at any moment: copying its files live gives a torn copy. */
function autoStop(users: VolumeUser[]): string[] {
  const running = users.filter((u) => u.running);
  return running.some((u) => u.postgres) ? running.map((u) => u.name) : [];
}

export interface WriteSnapshotOptions extends OperationOptions {
  volume: string;
  backupDir: string;
  image: string;
  facts: VolumeFacts;
  stopped: string[];
  level?: number;
  now?: () => Date;
  purpose?: 'safety';
}

/**
 * The snapshot itself, without the lock or stopping anything: a restore holds the lock and
 * has stopped the containers already when it takes its safety snapshot.
 */
export async function writeVolumeSnapshot(
  docker: Docker,
  options: WriteSnapshotOptions,
): Promise<{ path: string; manifest: VolumeManifest }> {
  const opts = withDefaults(options);
  const written = await writeOnce(docker, opts);
  if ('path' in written) return written;
  // Copies an interrupted restore left (no previous content among them): gone, then read again.
  const log = opts.logger;
  await runHelper(
    docker,
    {
      volume: opts.volume,
      image: opts.image,
      readOnly: false,
      purpose: 'cleanup',
      argv: ['rm', '-rf', ...written.leftovers.map((d) => `/data/${d}`)],
    },
    log,
  );
  log.warn(
    `${opts.volume}: removed ${written.leftovers.join(', ')}, left by an interrupted restore (copies only; the live data was not touched).`,
  );
  const again = await writeOnce(docker, opts);
  if ('path' in again) return again;
  throw new LifeboatError(
    `"${opts.volume}" still holds ${quoteList(again.leftovers)} after they were removed.`,
    'Another program may be restoring into this volume; retry when it is done.',
  );
}

async function writeOnce(
  docker: Docker,
  opts: WithDefaults<WriteSnapshotOptions>,
): Promise<{ path: string; manifest: VolumeManifest } | { leftovers: string[] }> {
  const { logger: log, progress } = opts;
  const started = Date.now();
  throwIfAborted(opts.signal);

  const dir = join(opts.backupDir, KIND_FOLDERS.volume);
  await ensurePrivateDir(opts.backupDir);
  await ensurePrivateDir(dir);
  const name = await freeName(dir, (t) => volumeSnapshotName(opts.volume, t), opts.now ?? (() => new Date()), 'snapshots');
  const finalPath = join(dir, name);
  const file = new AtomicFile(finalPath);
  const partial = file.partial;
  let helper: Docker.Container | undefined;
  const phase = opts.purpose === 'safety' ? `Safety snapshot of ${opts.volume}` : `Copying ${opts.volume}`;
  try {
    helper = await createHelper(docker, { volume: opts.volume, image: opts.image, readOnly: true, purpose: 'snapshot' });
    log.info(`${phase} to ${finalPath} (helper image ${opts.image})`);
    progress({ phase, bytes: 0 });

    let source: Readable;
    try {
      source = (await helper.getArchive({ path: '/data/.' })) as unknown as Readable;
    } catch (err) {
      throw engineOr(err, `Docker could not read the volume ${opts.volume}`);
    }
    const scan = new VolumeTarScan({ guard: 'note', onBytes: (bytes) => progress({ phase, bytes }) });
    const gzip = new ParallelGzip({ level: opts.level ?? 6 });
    const hash = new HashStream();
    const out = partialStream(partial);
    try {
      await pipeline(source, scan, gzip, hash, out, { signal: opts.signal });
    } catch (err) {
      if (opts.signal?.aborted) throw new CancelledError();
      throw explainStream(err, opts.volume, partial);
    }
    // A restore that never finished left folders at the top: never part of a snapshot.
    if (scan.facts.leftovers) {
      checkLeftovers(opts.volume, scan.facts.leftovers, opts.image, [], scan.facts.topLevel);
      return { leftovers: Object.keys(scan.facts.leftovers) };
    }
    await file.commit();

    const f = scan.facts;
    if (f.unsafe) log.warn(`${opts.volume}: the entry ${f.unsafe}; a restore of this snapshot will refuse it (contract 9).`);
    if (!f.root) log.warn(`${opts.volume}: Docker's archive had no root entry; the root's owner and mode were not recorded.`);
    const manifest: VolumeManifest = {
      formatVersion: 1,
      kind: 'volume',
      createdAt: new Date(started).toISOString(),
      tool: { name: 'lifeboat', version: toolVersion },
      source: { project: opts.facts.labels[PROJECT], volume: opts.volume, image: opts.image },
      compression: { format: 'gzip', level: opts.level ?? 6 },
      file: { name, bytes: hash.bytes, sha256: hash.digest() },
      content: { bytes: f.tarBytes },
      volumeRoot: f.root,
      entryCount: f.entries,
      fileCount: f.files,
      dataBytes: f.dataBytes,
      volumeDriver: { driver: opts.facts.driver, options: opts.facts.options, labels: opts.facts.labels },
      stoppedContainers: opts.stopped,
      purpose: opts.purpose,
      durationMs: Date.now() - started,
      verifications: [],
    };
    await file.writeManifest(manifest, (err) =>
      log.warn(`Snapshot kept, but its manifest could not be written: ${(err as Error).message}`),
    );
    log.info(
      `Snapshot complete: ${name} (${formatBytes(hash.bytes)}, ${formatCountOf(f.entries, 'entry', 'entries')}, ${formatBytes(f.dataBytes)} of files)`,
    );
    return { path: finalPath, manifest };
  } catch (err) {
    if (opts.signal?.aborted) throw new CancelledError();
    throw err;
  } finally {
    await file.discard();
    await removeHelper(helper, log);
  }
}

function engineOr(err: unknown, what: string): Error {
  return toEngineError(err, (e) =>
    e instanceof LifeboatError
      ? e
      : new LifeboatError(`${what}: ${(e as Error)?.message ?? String(e)}`, 'See the Lifeboat log, then retry.', undefined, { cause: e }),
  );
}

function explainStream(err: unknown, volume: string, partial: string): Error {
  if (err instanceof TarTruncated || /unexpected end|premature close|aborted|socket hang up/i.test((err as Error)?.message ?? '')) {
    return new LifeboatError(
      `Docker's archive of the volume "${volume}" ended early (${(err as Error).message}); the partial snapshot was removed.`,
      'Check that the Docker engine is healthy (`docker info`), then retry. Older snapshots are untouched.',
      undefined,
      { cause: err },
    );
  }
  if (isFsError(err) && !isEngineDown(err)) return fsError(err, 'write the snapshot', dirname(partial));
  return engineOr(err, `The snapshot of ${volume} failed`);
}
