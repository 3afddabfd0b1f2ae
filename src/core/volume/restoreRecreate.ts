import type Docker from 'dockerode';
import { randomBytes } from 'node:crypto';
import { basename } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { toEngineError } from '../docker';
import { CancelledError, LifeboatError, throwIfAborted } from '../common';
import type { Logger, ProgressFn, WithDefaults } from '../common';
import type { BackupSource } from '../encryption';
import { acquireLock, ensurePrivateDir, WRITER_OPERATION } from '../store';
import {
  createHelper,
  createVolume,
  removeHelper,
  removeVolumeQuietly,
  resolveHelperImage,
  runHelper,
  volumeUsers,
} from './helperContainer';
import type { VolumeSpec } from './helperContainer';
import { RECREATE_MARKER_PREFIX } from './volumeLeftovers';
import { volumeLockName } from './volumeSnapshot';
import type { VolumeManifest } from './volumeSnapshot';
import type { CheckedVolumeArchive, VolumeRoot } from './volumeTarScan';
import type { VolumeRestoreOptions, VolumeRestoreResult } from './volumeRestore';

export interface Recreate {
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
export async function recreateAndRestore(
  docker: Docker,
  opts: WithDefaults<VolumeRestoreOptions>,
  r: Recreate,
): Promise<VolumeRestoreResult> {
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
    // Marks the volume as half-made until it is whole: a kill -9 from here on leaves it
    // holding part of the snapshot, which the next snapshot refuses and the next restore replaces.
    const marker = `/data/${RECREATE_MARKER_PREFIX}${randomBytes(4).toString('hex')}`;
    const inVolume = (purpose: string, argv: string[]) =>
      runHelper(docker, { volume: opts.volume, image, readOnly: false, purpose, argv }, log);
    await inVolume('mark', ['mkdir', marker]);
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
    await inVolume('unmark', ['rmdir', marker]);
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
            `Docker could not unpack "${basename(spec.file)}" into "${spec.volume}": ${(e as Error).message}`,
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
