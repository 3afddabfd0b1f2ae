import { promises as fs } from 'node:fs';
import { basename } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { toEngineError } from '../docker';
import { CancelledError, LifeboatError, fsError } from '../common';
import type { Logger, OperationOptions, ProgressFn } from '../common';
import type { BackupSource } from '../encryption';
import { HashStream } from '../streams';
import type { HelperSession } from './helperSession';
import type { VolumeManifest } from './volumeSnapshot';
import { VolumeTarScan, explainArchive } from './volumeTarScan';
import type { CheckedVolumeArchive } from './volumeTarScan';

export function checkAgainstManifest(
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
      `"${basename(file)}" does not match its manifest (sha256 or size differs): it changed after it was made. Nothing was changed.`,
      'Choose another snapshot; this one is damaged or was replaced.',
    );
  }
  if (checked.entries === 0) {
    throw new LifeboatError(`"${basename(file)}" holds no entries at all; it is not a volume snapshot. Nothing was changed.`);
  }
}

export interface StageSpec extends OperationOptions {
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
export async function stage(session: HelperSession, spec: StageSpec): Promise<CheckedVolumeArchive> {
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
            `Docker could not unpack "${basename(spec.file)}" into "${spec.volume}": ${(err as Error).message}. Nothing was changed.`,
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
export async function removeStaging(session: HelperSession, target: string, log: Logger): Promise<void> {
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
