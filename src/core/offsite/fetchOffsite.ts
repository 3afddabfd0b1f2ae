import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import { basename, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import {
  errorText,
  CancelledError,
  LifeboatError,
  OperationOptions,
  formatBytesExact,
  fsError,
  noProgress,
  silentLogger,
  throwIfAborted,
} from '../common';
import { HashStream } from '../streams';
import { AtomicFile, KIND_FOLDERS, ensurePrivateDir, manifestName, parseBackupName, readManifest } from '../store';
import type { Destination } from './destination';
import { readRemoteManifest } from './copyOffsite';

export interface FetchOffsiteResult {
  /** The backup on this machine, in the backup folder's layout. */
  path: string;
  bytes: number;
  sha256: string;
  /** `present`: the same file was on this machine already and nothing was downloaded. */
  outcome: 'downloaded' | 'present';
  /**
   * `manifest`: size and sha256 matched the manifest beside the copy before the file got its
   * name. `none`: the copy has no manifest (put there by the runbook's `aws s3 cp`), so the
   * verify or restore that follows is the first check.
   */
  checked: 'manifest' | 'none';
}

/**
 * Brings an off-site backup back into the local backup folder (`database/`, `config/`,
 * `volumes/`), so that verify and the restores treat it like any local backup. The download
 * streams to a private partial file; with a manifest beside the copy, its size and sha256 must
 * match before the file gets its final name, and the manifest comes last. A local file of the
 * same name is never replaced: the same content is reported as present, different content is
 * refused. A cancel or a failure leaves nothing under the final name.
 */
export async function fetchOffsite(
  destination: Destination,
  remotePath: string,
  backupDir: string,
  opts: OperationOptions = {},
): Promise<FetchOffsiteResult> {
  const log = opts.logger ?? silentLogger;
  const progress = opts.progress ?? noProgress;
  throwIfAborted(opts.signal);
  const name = basename(remotePath);
  const parsed = parseBackupName(name);
  if (!parsed) {
    throw new LifeboatError(
      `"${name}" at ${destination.describe()} is not a Lifeboat or runbook backup name, so Lifeboat cannot tell what it holds.`,
      'Download it with the storage\'s own tools and rename it the way the runbook names backups ("sms_backup_YYYYMMDD_HHMMSS.sql.gz").',
    );
  }
  await destination.check();
  const entry = await destination.stat(remotePath);
  if (!entry) {
    throw new LifeboatError(
      `"${remotePath}" is not at ${destination.describe()} (any more).`,
      'Refresh the Backups view to see what the destination holds now.',
    );
  }
  const manifestPath = manifestName(remotePath);
  // A manifest that is there but cannot be read is a failed download, not a copy without one:
  // going on unchecked would hide the fault behind a weaker promise.
  const manifest = await readRemoteManifest(destination, manifestPath).catch((err: unknown) => {
    const cannot = `Cannot download "${remotePath}" from ${destination.describe()}: its manifest "${manifestPath}" could not be read`;
    // The destination's own error already says what failed where, and how to fix it there.
    if (err instanceof LifeboatError) throw new LifeboatError(`${cannot}. ${err.message}`, err.hint, err.detail, { cause: err });
    throw new LifeboatError(
      `${cannot} (${reason(err)}).`,
      'Check that the destination is reachable and retry; nothing was kept on this machine.',
      undefined,
      { cause: err },
    );
  });
  const expected = manifest && manifest.file.name === name && manifest.file.sha256 ? manifest.file : undefined;

  const folder = join(backupDir, KIND_FOLDERS[parsed.kind]);
  const path = join(folder, name);
  const present = await localCopy(path, expected?.sha256, entry.bytes);
  if (present) {
    log.info(`${path} is already on this machine with the same content as ${remotePath}; nothing was downloaded.`);
    return { path, bytes: present.bytes, sha256: present.sha256, outcome: 'present', checked: expected ? 'manifest' : 'none' };
  }

  await ensurePrivateDir(folder).catch((err) => {
    throw fsError(err, 'create the backup folder', folder);
  });
  const file = new AtomicFile(path);
  const phase = `Downloading "${name}" from ${destination.describe()}`;
  const hash = new HashStream((bytes) => progress({ phase, bytes, total: entry.bytes }));
  progress({ phase, bytes: 0, total: entry.bytes });
  try {
    const out = await file.open();
    // Only the local file's own errors are about this disk: a reset connection or an EIO of a
    // remote read carries a code too, and is the destination's.
    let localFailed = false;
    out.once('error', () => (localFailed = true));
    try {
      await pipeline(await destination.read(remotePath), hash, out, { signal: opts.signal });
    } catch (err) {
      if (opts.signal?.aborted) throw new CancelledError();
      if (localFailed && (err as NodeJS.ErrnoException)?.code) throw fsError(err, 'write the download', file.partial);
      throw new LifeboatError(
        `Cannot download "${remotePath}" from ${destination.describe()}: ${errorText(err)}.`,
        'Check that the destination is reachable and retry; nothing was kept on this machine.',
        undefined,
        { cause: err },
      );
    }
    if (expected && (hash.bytes !== expected.bytes || hash.digest() !== expected.sha256)) {
      throw new LifeboatError(
        `The off-site copy "${remotePath}" does not match its manifest (${hash.bytes === expected.bytes ? 'same size, different sha256' : `${formatBytesExact(hash.bytes)}, the manifest says ${formatBytesExact(expected.bytes)}`}): it is damaged or was replaced. Nothing was kept on this machine.`,
        'Use another copy (an older backup, or another destination); the damaged one is left where it is for inspection.',
      );
    }
    throwIfAborted(opts.signal);
    await file.commit();
  } finally {
    await file.discard();
  }
  if (manifest && expected) {
    await file.writeManifest(manifest, (err) =>
      log.warn(`The manifest of ${path} could not be written (${(err as Error).message}); the backup itself is complete and checked.`),
    );
  }
  log.info(
    `Downloaded ${remotePath} from ${destination.describe()} to ${path} (${hash.bytes} bytes, sha256 ${hash.digest()}${expected ? ', matching its manifest' : ', no manifest to check it against'}).`,
  );
  return { path, bytes: hash.bytes, sha256: hash.digest(), outcome: 'downloaded', checked: expected ? 'manifest' : 'none' };
}

/**
 * The local file of the same name when it holds the same content; a different one is refused,
 * since a download must never replace a backup that exists only here.
 */
async function localCopy(
  path: string,
  sha256: string | undefined,
  remoteBytes: number,
): Promise<{ bytes: number; sha256: string } | undefined> {
  const st = await fs.stat(path).catch(() => undefined);
  if (!st) return undefined;
  const { manifest } = await readManifest(path);
  const hash = createHash('sha256');
  let bytes = 0;
  try {
    for await (const chunk of createReadStream(path)) {
      hash.update(chunk as Buffer);
      bytes += (chunk as Buffer).length;
    }
  } catch (err) {
    throw fsError(err, 'read', path);
  }
  const digest = hash.digest('hex');
  const same = sha256 ? digest === sha256 : bytes === remoteBytes && (!manifest?.file.sha256 || manifest.file.sha256 === digest);
  if (same) return { bytes, sha256: digest };
  throw new LifeboatError(
    `A different "${basename(path)}" is already in the backup folder, so the off-site copy was not downloaded over it.`,
    `Move ${path} aside (it may be the only copy of that backup) and download again.`,
  );
}

/** An error's message without its closing full stop, to sit inside a sentence. */
function reason(err: unknown): string {
  return ((err as Error)?.message ?? String(err)).replace(/\.$/, '');
}
