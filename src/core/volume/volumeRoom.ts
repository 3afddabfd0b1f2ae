import { promises as fs } from 'node:fs';
import type { BackupSource } from '../encryption';
import { LifeboatError, formatBytes } from '../common';
import type { HelperSession } from './helperSession';
import type { VolumeManifest } from './volumeSnapshot';

/**
 * At least how many bytes a snapshot unpacks to: its manifest's tar size, or for a runbook
 * snapshot without one the gzip trailer's size field (the last member's only, so a lower
 * bound; modulo 4 GiB, so not used past that). Undefined when neither can tell.
 */
export async function unpackedBytes(manifest: VolumeManifest | undefined, source: BackupSource): Promise<number | undefined> {
  if (manifest?.content?.bytes) return manifest.content.bytes;
  if (source.encryption || source.fileBytes < 18 || source.fileBytes >= 2 ** 32) return undefined;
  const handle = await fs.open(source.path, 'r');
  try {
    const tail = Buffer.alloc(4);
    await handle.read(tail, 0, 4, source.fileBytes - 4);
    return tail.readUInt32LE(0);
  } finally {
    await handle.close();
  }
}

/**
 * A restore unpacks the snapshot beside the volume's current content, which stays until the
 * restored data is proven: the volume's filesystem must hold both. Checked before anything is
 * written, so a full disk is a clear refusal instead of a failed unpack half way.
 */
export async function checkRoom(session: HelperSession, volume: string, needed: number): Promise<void> {
  const out = await session.run(['df', '-Pk', '/data']);
  const fields = out.trim().split('\n').pop()?.trim().split(/\s+/) ?? [];
  const availableKb = Number(fields[3]);
  if (!Number.isFinite(availableKb)) return;
  const available = availableKb * 1024;
  if (available >= needed) return;
  throw new LifeboatError(
    `Restoring "${volume}" needs at least ${formatBytes(needed)} free beside its current content, which is kept until the restored data is proven; the volume's filesystem has ${formatBytes(available)} free. Nothing was changed.`,
    'Free space where Docker keeps its volumes (`docker system df`, then remove unused images, containers or volumes), then retry.',
  );
}
