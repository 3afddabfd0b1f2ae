import type Docker from 'dockerode';
import { openBackupSource } from '../encryption';
import { throwIfAborted, withDefaults } from '../common';
import { VolumeMissingError, inspectVolume, resolveHelperImage, volumeUsers } from './helperContainer';
import { HelperSession } from './helperSession';
import { refuseOutsiders, snapshotManifest, stopOrder } from './restorePlan';
import { checkAgainstManifest } from './restoreStage';
import type { VolumeRestoreOptions } from './volumeRestore';
import { checkRoom, unpackedBytes } from './volumeRoom';
import { checkVolumeArchive } from './volumeTarScan';
import type { CheckedVolumeArchive } from './volumeTarScan';

export interface VolumeRestoreCheck {
  volume: string;
  /** The volume does not exist: a restore would make it again from the snapshot's manifest, stopping nothing. */
  missing: boolean;
  /** The containers a restore would stop, in stop order, and start again afterwards. */
  stops: string[];
  /** The snapshot as read: entries, data bytes, its sha256 (matched against the manifest). */
  checked: CheckedVolumeArchive;
  /** What the volume's filesystem must have free beside the current content, when known. */
  neededBytes?: number;
  encrypted: boolean;
  /** The sha256 was matched against one the manifest recorded (false: a runbook snapshot without one). */
  matchedManifest: boolean;
}

/**
 * A volume restore's dry run: the checks restoreVolume makes before it stops anything, and
 * nothing else. The snapshot is read whole (gzip and tar integrity, every entry against contract 9
 * in docs/contracts.md, its sha256 against the manifest, from its decryption when encrypted); a
 * container outside the project that uses the volume is refused; the room the restore needs
 * beside the current content is checked in a helper that mounts the volume read-only. Each check
 * fails with the same error the restore would. No container stops, no lock is taken, and the
 * volume is not written.
 */
export async function checkVolumeRestore(docker: Docker, options: VolumeRestoreOptions): Promise<VolumeRestoreCheck> {
  const opts = withDefaults(options);
  throwIfAborted(opts.signal);
  const manifest = await snapshotManifest(opts.file, opts.logger);
  const source = await openBackupSource(opts.file, { keys: opts.keys, signal: opts.signal });
  try {
    const facts = await inspectVolume(docker, opts.volume).catch((err: unknown) => {
      if (err instanceof VolumeMissingError) return undefined;
      throw err;
    });
    let stops: string[] = [];
    const needed = await unpackedBytes(manifest, source).catch(() => undefined);
    if (facts) {
      const users = await volumeUsers(docker, opts.volume);
      refuseOutsiders(opts.volume, opts.stack, facts, users);
      stops = stopOrder(opts.stack, users);
      if (needed) {
        const image = await resolveHelperImage(docker, opts.volume, opts.helperImage, users);
        const session = await HelperSession.open(docker, { volume: opts.volume, image, purpose: 'check', readOnly: true }, opts.logger);
        try {
          await checkRoom(session, opts.volume, needed);
        } finally {
          await session.close();
        }
      }
    }
    const checked = await checkVolumeArchive(opts.file, { signal: opts.signal, progress: opts.progress, open: source.open });
    checkAgainstManifest(opts.file, manifest, checked, source);
    const recorded = source.encryption ? manifest?.encryption?.plaintextSha256 : manifest?.file.sha256;
    return {
      volume: opts.volume,
      missing: !facts,
      stops,
      checked,
      neededBytes: needed,
      encrypted: !!source.encryption,
      matchedManifest: !!recorded,
    };
  } finally {
    source.close();
  }
}
