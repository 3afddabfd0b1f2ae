import type Docker from 'dockerode';
import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { startContainers, stopContainers } from './appServices';
import { dockerEndpoint, isEngineDown } from './docker';
import type { Stack } from './discovery';
import { CancelledError, DockerUnavailableError, LifeboatError, isCancelled, throwIfAborted } from './errors';
import { ensurePrivateDir } from './fsSafe';
import {
  VolumeFacts, VolumeMissingError, VolumeSpec, VolumeUser, createHelper, createVolume, inspectVolume, removeHelper, removeVolumeQuietly,
  resolveHelperImage, runHelper, volumeUsers,
} from './helperContainer';
import { acquireLock } from './lock';
import { Logger, silentLogger } from './logger';
import { readManifest } from './manifest';
import { OperationOptions, noProgress } from './progress';
import { VolumeManifest, WriteSnapshotOptions, volumeLockName, writeVolumeSnapshot } from './volumeSnapshot';
import { CheckedVolumeArchive, VolumeRoot, checkVolumeArchive } from './volumeTarScan';
import { waitForContainers } from './containerHealth';

const PROJECT = 'com.docker.compose.project';

export interface VolumeRestoreOptions extends OperationOptions {
  volume: string;
  /** The snapshot (`.tar.gz`) to put into the volume. */
  file: string;
  /** The backup folder: the safety snapshot goes to its `volumes/` subfolder, the lock lives there. */
  backupDir: string;
  /** The Compose stack: all its containers stop during the restore (the app depends on the database). */
  stack?: Stack;
  helperImage?: string;
  /** How long started containers get to report healthy (default 120 s). */
  healthTimeoutMs?: number;
  /**
   * gzip level of the safety snapshot (default 1): it sits on the restore's critical path while
   * the containers are down, and level 1 is about twice as fast as 6 for a few percent more disk.
   */
  safetyLevel?: number;
  /**
   * When the volume no longer exists ("Complete system failure": `docker compose down -v`),
   * make it again with the driver, options and labels the snapshot's manifest recorded, then
   * restore into it. Without this a missing volume is refused, so a caller asks first.
   */
  recreateMissing?: boolean;
  now?: () => Date;
}

export interface VolumeRestoreResult {
  volume: string;
  /** The safety snapshot of the volume as it was (contract 3); kept. None when the volume was re-created. */
  safety?: { path: string; manifest: VolumeManifest };
  /** Set when the volume was missing and made again: how, and why no safety snapshot was taken. */
  recreated?: { facts: VolumeFacts; fromManifest: boolean; note: string };
  /** Containers stopped for the restore and started again, in start order. */
  restarted: string[];
  /** What was restored, as read from the archive. */
  restored: CheckedVolumeArchive;
  root?: VolumeRoot;
  durationMs: number;
}

/**
 * Rolls a volume back to a snapshot (the runbook's Scenario 2), without its risks:
 * 1. the archive is read whole first (gzip, tar, sha256 against the manifest, contract 9 for
 *    every entry): a bad file is refused before anything is touched;
 * 2. a container outside the project that uses the volume is refused, by name;
 * 3. the containers stop, and a safety snapshot of the volume as it is is taken (contract 3);
 * 4. the volume is emptied and the archive put into it, then its root's owner and mode set;
 * 5. the containers start and must pass their health checks.
 * A failure (or cancel) after step 4 began puts the safety snapshot back the same way. The
 * stopped containers are started again in a `finally` (contract 5).
 *
 * The volume is emptied in place rather than removed and re-created: Docker refuses to remove
 * a volume that any container references, stopped ones included, and removing the project's
 * containers is not ours to do. Emptying keeps its driver, options and Compose labels as they are.
 */
export async function restoreVolume(docker: Docker, opts: VolumeRestoreOptions): Promise<VolumeRestoreResult> {
  const log = opts.logger ?? silentLogger;
  const progress = opts.progress ?? noProgress;
  const started = Date.now();
  throwIfAborted(opts.signal);

  // 1. The archive, whole, before anything else.
  const { manifest: raw, problem } = await readManifest(opts.file);
  if (problem) log.warn(`${opts.file}: ${problem}`);
  if (raw && raw.kind !== 'volume') {
    throw new LifeboatError(`${basename(opts.file)} is a ${raw.kind} backup, not a volume snapshot.`, 'Choose a file from the Volumes group.');
  }
  const manifest = raw as VolumeManifest | undefined;
  const checked = await checkVolumeArchive(opts.file, opts);
  if (manifest && (manifest.file.sha256 !== checked.fileSha256 || manifest.file.bytes !== checked.fileBytes)) {
    throw new LifeboatError(
      `${basename(opts.file)} does not match its manifest (sha256 or size differs): it changed after it was made. Nothing was changed.`,
      'Choose another snapshot; this one is damaged or was replaced.',
    );
  }
  if (checked.entries === 0) {
    throw new LifeboatError(`${basename(opts.file)} holds no entries at all; it is not a volume snapshot. Nothing was changed.`);
  }
  const root = manifest?.volumeRoot ?? checked.root;

  // 2. Who uses the volume.
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
    return recreateAndRestore(docker, opts, { manifest, checked, root, started });
  }
  const users = await volumeUsers(docker, opts.volume);
  const project = opts.stack?.project ?? facts.labels[PROJECT];
  const inStack = (u: VolumeUser) =>
    !!opts.stack && (u.id === opts.stack.db.id || opts.stack.apps.some((a) => a.id === u.id));
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
  const lock = await acquireLock(opts.backupDir, volumeLockName(opts.volume), 'volume restore');
  let stopped: string[] = [];
  try {
    throwIfAborted(opts.signal);
    if (toStop.length) progress({ phase: `Stopping ${toStop.join(', ')}` });
    stopped = await stopContainers(docker, toStop, log);
    const startOrder = [...stopped].reverse();

    // 3. Contract 3: the volume as it is now, kept whatever happens next.
    const snapOpts: WriteSnapshotOptions = {
      volume: opts.volume, backupDir: opts.backupDir, image, facts, stopped, level: opts.safetyLevel ?? 1, now: opts.now,
      purpose: 'safety', signal: opts.signal, progress, logger: log,
    };
    const safety = await writeVolumeSnapshot(docker, snapOpts);
    throwIfAborted(opts.signal);

    // 4-5. From here on, a failure puts the safety snapshot back.
    try {
      await putVolume(docker, { volume: opts.volume, image, file: opts.file, root, signal: opts.signal, progress, log });
      if (startOrder.length) progress({ phase: `Starting ${startOrder.join(', ')}` });
      await startContainers(docker, startOrder, log);
      if (startOrder.length) progress({ phase: 'Waiting for health checks' });
      await waitForContainers(docker, startOrder, { timeoutMs: opts.healthTimeoutMs ?? 120_000, signal: opts.signal, log });
    } catch (err) {
      throw await rollBack(docker, err, { volume: opts.volume, image, file: opts.file, safety, startOrder, healthTimeoutMs: opts.healthTimeoutMs, log });
    }
    log.info(`Restored ${opts.volume} from ${opts.file}; safety snapshot kept at ${safety.path}`);
    return { volume: opts.volume, safety, restarted: startOrder, restored: checked, root, durationMs: Date.now() - started };
  } finally {
    try {
      await startContainers(docker, [...stopped].reverse(), log);
    } finally {
      await lock.release();
    }
  }
}

interface Recreate {
  manifest?: VolumeManifest;
  checked: CheckedVolumeArchive;
  root?: VolumeRoot;
  started: number;
}

/**
 * The "Complete system failure" path: the volume is gone, so no container can be using it and
 * there is nothing to lose, hence no safety snapshot and nothing to stop. The volume is made
 * with the recorded driver, options and labels (the Compose ones included, so `docker compose
 * up` adopts it), checked to be empty (a volume made meanwhile by someone else is refused, not
 * overwritten), and filled. A failure removes the volume again: the state is as it was.
 */
async function recreateAndRestore(docker: Docker, opts: VolumeRestoreOptions, r: Recreate): Promise<VolumeRestoreResult> {
  const log = opts.logger ?? silentLogger;
  const recorded = r.manifest?.volumeDriver;
  const spec: VolumeSpec = recorded
    ? { driver: recorded.driver || 'local', options: recorded.options ?? {}, labels: recorded.labels ?? {} }
    : { driver: 'local', options: {}, labels: {} };
  const image = await resolveHelperImage(docker, opts.volume, opts.helperImage, [], [r.manifest?.source.image]);
  await ensurePrivateDir(opts.backupDir);
  const lock = await acquireLock(opts.backupDir, volumeLockName(opts.volume), 'volume restore');
  let created = false;
  try {
    throwIfAborted(opts.signal);
    (opts.progress ?? noProgress)({ phase: `Creating the volume ${opts.volume}` });
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
    await putVolume(docker, { volume: opts.volume, image, file: opts.file, root: r.root, signal: opts.signal, progress: opts.progress, log, empty: false });
    const note = recorded
      ? `The volume ${opts.volume} did not exist; it was made again with the driver ${facts.driver} and the labels the snapshot recorded. No safety snapshot was taken: there was nothing to lose.`
      : `The volume ${opts.volume} did not exist; it was made again with the local driver and no labels (the snapshot has no manifest to say how it was made). No safety snapshot was taken: there was nothing to lose.`;
    log.info(`Restored ${opts.volume} from ${opts.file}. ${note}`);
    created = false;
    return { volume: opts.volume, recreated: { facts, fromManifest: !!recorded, note }, restarted: [], restored: r.checked, root: r.root, durationMs: Date.now() - r.started };
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

interface RollBack {
  volume: string;
  image: string;
  file: string;
  safety: { path: string; manifest: VolumeManifest };
  startOrder: string[];
  healthTimeoutMs?: number;
  log: Logger;
}

/**
 * Puts the safety snapshot back after a failed restore and says what happened. It is not
 * cancellable: leaving the volume half-written would be worse than finishing.
 */
async function rollBack(docker: Docker, err: unknown, r: RollBack): Promise<Error> {
  const cancelled = isCancelled(err);
  const cause = cancelled ? 'it was cancelled' : (err as Error)?.message ?? String(err);
  r.log.error(`Restoring ${r.volume} failed (${cause}); putting the safety snapshot ${r.safety.path} back.`);
  try {
    // Containers started with the bad data may be crash-looping over the files.
    await stopContainers(docker, [...r.startOrder].reverse(), r.log);
    await putVolume(docker, { volume: r.volume, image: r.image, file: r.safety.path, root: r.safety.manifest.volumeRoot, log: r.log });
  } catch (rbErr) {
    return new LifeboatError(
      `Restoring ${r.volume} from ${basename(r.file)} failed (${cause}), and putting its safety snapshot back failed too: ${(rbErr as Error).message}`,
      `The volume's previous content is in ${r.safety.path}; restore it with Restore Volume Snapshot once the cause is fixed. See the Lifeboat log.`,
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
    `Restoring ${r.volume} from ${basename(r.file)} failed: ${cause}. The volume is as it was: its safety snapshot was put back${health}.`,
    `The safety snapshot is kept at ${r.safety.path}. See the Lifeboat log for the containers' output.`,
  );
}

interface PutSpec {
  volume: string;
  image: string;
  file: string;
  root?: VolumeRoot;
  signal?: AbortSignal;
  progress?: OperationOptions['progress'];
  log: Logger;
  /** false: the volume is known to be empty (just created). */
  empty?: boolean;
}

/**
 * Empties the volume and puts a .tar.gz into it (Docker unpacks gzip itself), streamed from
 * the file with backpressure; then sets the root's owner and mode, which putArchive leaves at
 * 0:0 755. The helper runs argv only (contract 7): `find … -exec rm`, `chown`, `chmod`.
 */
async function putVolume(docker: Docker, spec: PutSpec): Promise<void> {
  const progress = spec.progress ?? noProgress;
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
    const feeding = pipeline(createReadStream(spec.file, { highWaterMark: 1 << 20 }), counter, { signal: spec.signal });
    feeding.catch(() => undefined);
    try {
      await helper.putArchive(counter, { path: '/data' });
      await feeding;
    } catch (err) {
      if (spec.signal?.aborted) throw new CancelledError();
      if (isEngineDown(err)) throw new DockerUnavailableError(dockerEndpoint(), (err as NodeJS.ErrnoException).code ?? 'error');
      throw new LifeboatError(`Docker could not unpack ${basename(spec.file)} into ${spec.volume}: ${(err as Error).message}`);
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
  await runHelper(docker, { volume: spec.volume, image: spec.image, readOnly: false, purpose: 'chown', argv: ['chown', `${uid}:${gid}`, '/data'] }, spec.log);
  await runHelper(docker, { volume: spec.volume, image: spec.image, readOnly: false, purpose: 'chmod', argv: ['chmod', mode.toString(8), '/data'] }, spec.log);
}

/** `-delete` is missing from some busybox builds; `-exec rm -rf {} +` works in busybox and GNU find alike. */
const EMPTY_ARGV = ['find', '/data', '-mindepth', '1', '-maxdepth', '1', '-exec', 'rm', '-rf', '{}', '+'];

function unique(names: string[]): string[] {
  return [...new Set(names)];
}
