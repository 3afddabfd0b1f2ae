import { basename } from 'node:path';
import { LifeboatError, quote, quoteList } from '../common';
import type { Logger } from '../common';
import { parseBackupName, readManifest } from '../store';
import type { Stack } from '../stack';
import type { VolumeFacts, VolumeUser } from './helperContainer';
import type { VolumeManifest } from './volumeSnapshot';

const PROJECT = 'com.docker.compose.project';

/** Lifeboat stops only the project's own containers: one running outside it is refused, by name, before anything changes. */
export function refuseOutsiders(volume: string, stack: Stack | undefined, facts: VolumeFacts, users: VolumeUser[]): void {
  const project = stack?.project ?? facts.labels[PROJECT];
  const inStack = (u: VolumeUser) => !!stack && (u.id === stack.db.id || stack.apps.some((a) => a.id === u.id));
  const outsiders = users.filter((u) => u.running && project !== undefined && u.project !== project && !inStack(u));
  if (outsiders.length) {
    throw new LifeboatError(
      `The volume "${volume}" is used by ${quoteList(outsiders.map((u) => u.name))}, which ${outsiders.length > 1 ? 'are' : 'is'} running outside the Compose project "${project}". Nothing was changed.`,
      `Stop ${outsiders.length > 1 ? 'them' : 'it'} first (\`docker stop ${outsiders[0].name}\`): Lifeboat only stops the project's own containers.`,
    );
  }
}

/** Apps first, then the database, so no app sees its database vanish mid-request. */
export function stopOrder(stack: Stack | undefined, users: VolumeUser[]): string[] {
  return [
    ...new Set([
      ...(stack ? stack.apps.map((a) => a.name) : []),
      ...users.filter((u) => u.running && !u.postgres).map((u) => u.name),
      ...(stack ? [stack.db.name] : []),
      ...users.filter((u) => u.running && u.postgres).map((u) => u.name),
    ]),
  ];
}

/** The snapshot's manifest (undefined for a runbook snapshot without one); another kind of backup is refused. */
export async function snapshotManifest(file: string, log: Logger): Promise<VolumeManifest | undefined> {
  const { manifest, problem } = await readManifest(file);
  if (problem) log.warn(`${file}: ${problem}`);
  if (manifest && manifest.kind !== 'volume') {
    throw new LifeboatError(
      `"${basename(file)}" is a ${manifest.kind} backup, not a volume snapshot.`,
      'Choose a volume snapshot.',
      undefined,
      {
        ui: 'choose-volume-snapshot',
      },
    );
  }
  return manifest as VolumeManifest | undefined;
}

/**
 * The volume a snapshot goes back into: the one its manifest names, else (a runbook snapshot,
 * named after a shortened volume name such as volume_sms_postgres_…) the stack's volume its name
 * gives, else the stack's only volume. Throws when none of these tells.
 */
export function snapshotVolumeName(file: string, manifest: VolumeManifest | undefined, stack: Pick<Stack, 'volumes'> | undefined): string {
  const subject = parseBackupName(basename(file))?.subject;
  const volume =
    manifest?.source.volume ??
    stack?.volumes.find((v) => v.name === subject)?.name ??
    (stack?.volumes.length === 1 ? stack.volumes[0].name : undefined);
  if (volume) return volume;
  throw new LifeboatError(
    `Cannot tell which volume ${quote(basename(file))} belongs to.`,
    'Snapshots made by Lifeboat record it in their manifest; for others, rename the file to volume_<volume>_YYYYMMDD_HHMMSS.tar.gz.',
  );
}
