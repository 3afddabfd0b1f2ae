import { basename, resolve } from 'node:path';
import { LifeboatError, formatBytes, formatCountOf, quote, quoteList, silentLogger } from '../../core/common';
import { fileKeys } from '../../core/encryption';
import { volumeRecreatedNotice, volumeRestoredNotice } from '../../core/reports';
import { Stack, discoverStack, waitForHealthy } from '../../core/stack';
import {
  VolumeRestoreCheck,
  VolumeRestoreOptions,
  checkVolumeRestore,
  restoreVolume,
  snapshotManifest,
  snapshotVolumeName,
  volumeExists,
} from '../../core/volume';
import type { CliContext } from '../context';
import { EXIT, ExitCode } from '../exitCodes';
import { UsageError } from '../usageError';

/**
 * `lifeboat restore volume FILE [--replace VOLUME]`: the extension's Restore Volume Snapshot for a
 * server without VS Code. Without --replace it is a dry run: the snapshot is read whole and
 * checked as the restore would check it, and what a restore would do is said; nothing stops and
 * nothing is written. --replace with the volume's name typed out is the typed confirmation: then
 * core's restore stages the snapshot beside the live content, stops the containers only for the
 * swap, puts the previous content back on a failure, and starts them again. A volume that no
 * longer exists (`docker compose down -v`) is made again from what the snapshot recorded.
 */
export async function restoreVolumeCommand(ctx: CliContext, file: string, replace: string | undefined): Promise<ExitCode> {
  const path = resolve(file);
  const docker = ctx.docker();
  // Core reads it again and warns about a damaged one; once is enough.
  const manifest = await snapshotManifest(path, silentLogger);
  // After "Complete system failure" there is no stack to find; a snapshot that names its
  // volume is still restorable, into a volume made again.
  let stack: Stack | undefined;
  try {
    stack = await discoverStack(docker, ctx.settings.discovery);
  } catch (err) {
    const named = manifest?.source.volume;
    if (!named || (await volumeExists(docker, named))) throw err;
  }
  const volume = snapshotVolumeName(path, manifest, stack);
  // Checked before anything runs: a typo must not cost a read of the whole snapshot and then fail.
  if (replace !== undefined && replace !== volume) {
    throw new UsageError(
      `--replace names "${replace}", but ${quote(basename(path))} restores the volume "${volume}". Nothing was changed.`,
      `Type --replace ${volume} to replace it.`,
    );
  }
  const missing = !(await volumeExists(docker, volume));
  const settings = ctx.settings;
  const options: VolumeRestoreOptions = {
    volume,
    file: path,
    backupDir: settings.backupDirectory,
    stack: missing ? undefined : stack,
    helperImage: settings.helperImage,
    recreateMissing: missing,
    keepSafetySnapshot: settings.keepSafetySnapshot,
    keys: fileKeys(settings.encryptionKeyFiles),
    signal: ctx.signal,
    logger: ctx.log,
  };
  if (replace === undefined) {
    const check = await checkVolumeRestore(docker, options);
    for (const line of dryRunLines(check, path)) ctx.out(line);
    return EXIT.ok;
  }

  const result = await restoreVolume(docker, options);
  if (result.recreated) {
    ctx.out(volumeRecreatedNotice({ volume, file: path, durationMs: result.durationMs, note: result.recreated.note }));
    return EXIT.ok;
  }
  // The containers report healthy; the app's own health URL says whether it works with this data.
  if (settings.health) {
    try {
      await waitForHealthy(settings.health, ctx.signal);
    } catch (err) {
      throw new LifeboatError(
        `${quote(volume)} was restored from ${quote(basename(path))}, but ${(err as Error).message}`,
        result.safety
          ? `The volume as it was is kept in ${basename(result.safety.path)}: restore that snapshot to go back.`
          : 'Restore an older snapshot to go back (setting lifeboat.volumes.keepSafetySnapshot keeps a copy of the volume as it was).',
        undefined,
        { cause: err },
      );
    }
  }
  ctx.out(
    volumeRestoredNotice({ volume, file: path, durationMs: result.durationMs, restarted: result.restarted, kept: result.safety?.path }),
  );
  return EXIT.ok;
}

function dryRunLines(c: VolumeRestoreCheck, path: string): string[] {
  const name = quote(basename(path));
  const size = `${formatCountOf(c.checked.files, 'file')}, ${formatBytes(c.checked.dataBytes)} of data`;
  const sha = c.matchedManifest ? 'its sha256 matches its manifest' : 'it has no manifest to match its sha256 against';
  const lines = [`Dry run passed: ${name} was read whole (${size}${c.encrypted ? ', decrypted on the way' : ''}); ${sha}.`];
  if (c.missing) {
    lines.push(
      `The volume "${c.volume}" does not exist: a restore makes it again with the driver and labels the snapshot recorded, then unpacks the snapshot into it. No container stops.`,
      `Dry run only: nothing was created. To re-create "${c.volume}" from ${name}, run again with --replace ${c.volume}.`,
    );
    return lines;
  }
  if (c.neededBytes)
    lines.push(
      `"${c.volume}" has room for the ${formatBytes(c.neededBytes)} it unpacks to beside its current content, which a restore keeps aside until the containers are healthy.`,
    );
  lines.push(
    c.stops.length
      ? `A restore stops ${quoteList(c.stops)} for the swap and starts ${c.stops.length > 1 ? 'them' : 'it'} again; a failure puts the current content back.`
      : `No running container uses "${c.volume}", so a restore stops none.`,
    `Dry run only: "${c.volume}" was not changed. To replace its content with ${name}, run again with --replace ${c.volume}.`,
  );
  return lines;
}
