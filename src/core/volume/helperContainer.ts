import type Docker from 'dockerode';
import { randomBytes } from 'node:crypto';
import { toEngineError } from '../docker';
import { LifeboatError } from '../common';
import type { Logger } from '../common';

/** Labels on every helper container, so a leftover one is recognisable as Lifeboat's. */
export const HELPER_LABEL = 'io.lifeboat.helper';
export const HELPER_VOLUME_LABEL = 'io.lifeboat.volume';

const PROJECT = 'com.docker.compose.project';
export const HELPER_SETTING = 'lifeboat.volumes.helperImage';

/** A container that mounts a given volume. */
export interface VolumeUser {
  id: string;
  name: string;
  image: string;
  /** Image ID (`sha256:…`): what the helper is created from, so a re-tagged name cannot mislead. */
  imageId: string;
  running: boolean;
  project?: string;
  readOnly: boolean;
  /** Image or environment says PostgreSQL: its files must not be copied while it runs. */
  postgres: boolean;
}

export interface VolumeFacts {
  name: string;
  driver: string;
  options: Record<string, string>;
  labels: Record<string, string>;
}

const statusOf = (err: unknown): number | undefined => (err as { statusCode?: number })?.statusCode;

/**
 * Inspects a volume. Creating a container with a missing volume would silently create an
 * empty one, so every volume operation starts here.
 */
export async function inspectVolume(docker: Docker, volume: string): Promise<VolumeFacts> {
  try {
    const v = await docker.getVolume(volume).inspect();
    return { name: v.Name, driver: v.Driver, options: (v.Options ?? {}) as Record<string, string>, labels: v.Labels ?? {} };
  } catch (err) {
    if (statusOf(err) === 404) throw new VolumeMissingError(volume);
    throw toEngineError(err);
  }
}

/** Whether the volume exists; the check a restore's caller makes before offering to re-create it. */
export async function volumeExists(docker: Docker, volume: string): Promise<boolean> {
  try {
    await inspectVolume(docker, volume);
    return true;
  } catch (err) {
    if (err instanceof VolumeMissingError) return false;
    throw err;
  }
}

/** The volume is gone (`docker compose down -v`, `docker volume rm`): a restore can make it again. */
export class VolumeMissingError extends LifeboatError {
  constructor(
    readonly volume: string,
    hint?: string,
  ) {
    super(
      `The volume "${volume}" does not exist (any more).`,
      hint ?? 'Check `docker volume ls`; the stack may have been taken down with `docker compose down -v`.',
      undefined,
      hint === undefined ? { ui: 'refresh-volumes' } : undefined,
    );
  }
}

/** How a volume is made: what a snapshot's manifest records so a lost volume can be made again. */
export interface VolumeSpec {
  driver: string;
  options: Record<string, string>;
  labels: Record<string, string>;
}

/**
 * Creates a volume with the given driver, options and labels. The Compose labels
 * (`com.docker.compose.project`, `…volume`) are what make `docker compose up` adopt it
 * instead of warning that it was not created by Compose.
 */
export async function createVolume(docker: Docker, name: string, spec: VolumeSpec): Promise<VolumeFacts> {
  try {
    await docker.createVolume({ Name: name, Driver: spec.driver || 'local', DriverOpts: spec.options, Labels: spec.labels });
  } catch (err) {
    throw toEngineError(
      err,
      (e) =>
        new LifeboatError(
          `Docker could not create the volume "${name}" with the driver "${spec.driver || 'local'}": ${(e as Error).message}`,
          'Check that the volume driver (and its plugin) is installed: `docker plugin ls`, `docker volume create --driver …`.',
          undefined,
          { cause: e },
        ),
    );
  }
  return inspectVolume(docker, name);
}

/** Removes a volume; never throws (used to undo a volume Lifeboat created itself). */
export async function removeVolumeQuietly(docker: Docker, name: string, log: Logger): Promise<void> {
  try {
    await docker.getVolume(name).remove();
  } catch (err) {
    if (statusOf(err) !== 404) log.warn(`Could not remove the volume ${name}: ${(err as Error).message}`);
  }
}

/** Every container, running or not, that mounts the volume. */
export async function volumeUsers(docker: Docker, volume: string): Promise<VolumeUser[]> {
  let list: Docker.ContainerInfo[];
  try {
    list = await docker.listContainers({ all: true, filters: { volume: [volume] } });
  } catch (err) {
    throw toEngineError(err);
  }
  const users: VolumeUser[] = [];
  for (const c of list) {
    // The filter also matches by mount destination; keep only real mounts of this volume.
    const mount = c.Mounts?.find((m) => m.Type === 'volume' && m.Name === volume);
    if (!mount) continue;
    // Our own helpers are never users to stop or refuse for.
    if (c.Labels?.[HELPER_LABEL]) continue;
    const info = await docker
      .getContainer(c.Id)
      .inspect()
      .catch(() => undefined);
    const env = info?.Config?.Env ?? [];
    users.push({
      id: c.Id,
      name: (c.Names[0] ?? c.Id).replace(/^\//, ''),
      image: c.Image,
      imageId: c.ImageID,
      running: c.State === 'running',
      project: c.Labels?.[PROJECT],
      readOnly: !mount.RW,
      postgres: /postgres|postgis|timescale/i.test(c.Image) || env.some((e) => e.startsWith('POSTGRES_') || e.startsWith('PGDATA=')),
    });
  }
  return users;
}

/**
 * The image a helper container is made from: the setting when given, else the image of a
 * container that already mounts the volume (it is on the engine, and it can read its own
 * files). Never a pull: the engine may have no registry, and an unexpected download of an
 * image nobody chose is not what a backup should do.
 */
export async function resolveHelperImage(
  docker: Docker,
  volume: string,
  explicit: string | undefined,
  users: VolumeUser[],
  /** Images to try after the users' (a lost volume has no users; its snapshot names the image it was read with). */
  fallbacks: (string | undefined)[] = [],
): Promise<string> {
  if (explicit) {
    if (await imagePresent(docker, explicit)) return explicit;
    throw new LifeboatError(
      `The helper image "${explicit}" is not on the Docker engine (setting ${HELPER_SETTING}); Lifeboat never pulls images.`,
      `Pull or build it first (\`docker pull ${explicit}\`), or clear the setting ${HELPER_SETTING} to use the image of a container that mounts the volume.`,
    );
  }
  for (const u of users) {
    if (await imagePresent(docker, u.imageId || u.image)) return u.imageId || u.image;
  }
  for (const image of fallbacks) {
    if (image && (await imagePresent(docker, image))) return image;
  }
  throw new LifeboatError(
    `No helper image for the volume "${volume}": no container that mounts it has its image on the engine, and the setting ${HELPER_SETTING} is empty.`,
    `Set ${HELPER_SETTING} to an image already on the engine (for example \`busybox\` or \`alpine\`, after \`docker pull\`). Lifeboat never pulls images.`,
  );
}

async function imagePresent(docker: Docker, image: string): Promise<boolean> {
  try {
    await docker.getImage(image).inspect();
    return true;
  } catch (err) {
    if (statusOf(err) === 404) return false;
    throw toEngineError(err);
  }
}

export interface HelperSpec {
  volume: string;
  image: string;
  readOnly: boolean;
  /** What the helper is for; goes into its name and label. */
  purpose: string;
  /** argv to run; a helper that is only created (getArchive/putArchive) never runs it. */
  argv?: string[];
  /** Docker removes the container when it exits (a detached cleanup nobody waits for). */
  autoRemove?: boolean;
}

/**
 * Creates a helper container: the volume at /data, no network, Lifeboat's labels. `NoCopy`
 * keeps Docker from copying the helper image's own /data into an empty volume, and the
 * entrypoint is cleared so an image's start script (PostgreSQL's chowns PGDATA) never runs.
 */
export async function createHelper(docker: Docker, helper: HelperSpec): Promise<Docker.Container> {
  const name = `lifeboat-${helper.purpose}-${randomBytes(4).toString('hex')}`;
  try {
    // Typed by hand: @types/dockerode wants every VolumeOptions field, the API needs only NoCopy.
    const create: Record<string, unknown> = {
      name,
      Image: helper.image,
      Entrypoint: [],
      Cmd: helper.argv ?? ['true'],
      User: '0:0',
      NetworkDisabled: true,
      Labels: { [HELPER_LABEL]: helper.purpose, [HELPER_VOLUME_LABEL]: helper.volume },
      HostConfig: {
        NetworkMode: 'none',
        AutoRemove: !!helper.autoRemove,
        Mounts: [{ Type: 'volume', Source: helper.volume, Target: '/data', ReadOnly: helper.readOnly, VolumeOptions: { NoCopy: true } }],
      },
    };
    return await docker.createContainer(create as Docker.ContainerCreateOptions);
  } catch (err) {
    throw toEngineError(err);
  }
}

/** Removes a helper and the anonymous volumes its image declares (`v`); never throws. */
export async function removeHelper(container: Docker.Container | undefined, log: Logger): Promise<void> {
  if (!container) return;
  try {
    await container.remove({ force: true, v: true });
  } catch (err) {
    if (statusOf(err) !== 404) log.warn(`Could not remove the helper container ${container.id.slice(0, 12)}: ${(err as Error).message}`);
  }
}

/**
 * Runs one argv in a fresh helper (started, waited for, removed). Used for what the archive
 * API cannot do: emptying a volume and setting the owner and mode of its root.
 */
export async function runHelper(docker: Docker, spec: HelperSpec & { argv: string[] }, log: Logger): Promise<void> {
  const c = await createHelper(docker, spec);
  try {
    try {
      await c.start();
    } catch (err) {
      const msg = (err as Error).message ?? String(err);
      if (/executable file not found|no such file or directory/i.test(msg)) {
        throw new LifeboatError(
          `The helper image "${spec.image}" has no \`${spec.argv[0]}\`, which the volume restore needs.`,
          `Set ${HELPER_SETTING} to an image with basic tools (for example \`busybox\`, already on the engine).`,
        );
      }
      throw toEngineError(err);
    }
    const result = (await c.wait()) as { StatusCode: number };
    if (result.StatusCode !== 0) {
      const logs = await c.logs({ stdout: true, stderr: true, follow: false }).catch(() => Buffer.alloc(0));
      const text = demuxSmall(logs as unknown as Buffer).trim();
      if (text) log.tool(spec.argv[0], text);
      throw new LifeboatError(
        `\`${spec.argv.join(' ')}\` failed in the helper container (exit code ${result.StatusCode}): ${text.split('\n').at(-1) ?? ''}`,
        'See the Lifeboat log for its output.',
        text,
      );
    }
  } finally {
    await removeHelper(c, log);
  }
}

/** Strips Docker's 8-byte frame headers from a short, non-TTY log buffer. */
function demuxSmall(buf: Buffer): string {
  const parts: Buffer[] = [];
  let i = 0;
  while (i + 8 <= buf.length) {
    const len = buf.readUInt32BE(i + 4);
    parts.push(buf.subarray(i + 8, i + 8 + len));
    i += 8 + len;
  }
  return Buffer.concat(parts).toString('utf8');
}

const CLEANUP = 'cleanup';

/**
 * Removes folders from a volume in a detached helper that removes itself: freeing the disk
 * space of a replaced volume content need not hold up the restore that replaced it. The next
 * snapshot or restore of the volume waits for it (`waitForVolumeCleanup`), so none ever reads a
 * half-removed folder.
 */
export async function removeInBackground(docker: Docker, spec: { volume: string; image: string; paths: string[] }): Promise<void> {
  const c = await createHelper(docker, {
    volume: spec.volume,
    image: spec.image,
    readOnly: false,
    purpose: CLEANUP,
    argv: ['rm', '-rf', ...spec.paths],
    autoRemove: true,
  });
  try {
    await c.start();
  } catch (err) {
    await c.remove({ force: true }).catch(() => undefined);
    throw toEngineError(err);
  }
}

/** Waits until no detached cleanup of the volume runs any more. */
export async function waitForVolumeCleanup(docker: Docker, volume: string, log: Logger): Promise<void> {
  let list: Docker.ContainerInfo[];
  try {
    list = await docker.listContainers({
      all: true,
      filters: { label: [`${HELPER_LABEL}=${CLEANUP}`, `${HELPER_VOLUME_LABEL}=${volume}`] },
    });
  } catch (err) {
    throw toEngineError(err);
  }
  for (const c of list) {
    log.info(`Waiting for the removal of ${volume}'s previous content to finish`);
    try {
      await docker.getContainer(c.Id).wait();
    } catch (err) {
      // Gone already (AutoRemove): finished.
      if (statusOf(err) !== 404 && statusOf(err) !== 409) throw toEngineError(err);
    }
  }
}

/**
 * Removes the helpers of `volume` that a killed Lifeboat left (kill -9 skips the `finally` that
 * removes them): a snapshot's helper stays "Created" for good, a restore's exits after an hour
 * and stays. Called under the volume's lock, so none of them belongs to a live operation; the
 * detached cleanups are left alone, as they remove themselves and are waited for.
 */
export async function removeStaleHelpers(docker: Docker, volume: string, log: Logger): Promise<string[]> {
  let list: Docker.ContainerInfo[];
  try {
    list = await docker.listContainers({ all: true, filters: { label: [HELPER_LABEL, `${HELPER_VOLUME_LABEL}=${volume}`] } });
  } catch (err) {
    throw toEngineError(err);
  }
  const stale = list.filter((c) => c.Labels?.[HELPER_LABEL] !== CLEANUP);
  for (const c of stale) await removeHelper(docker.getContainer(c.Id), log);
  const names = stale.map((c) => (c.Names?.[0] ?? c.Id.slice(0, 12)).replace(/^\//, ''));
  if (names.length)
    log.info(
      `Removed the helper container${names.length > 1 ? 's' : ''} ${names.join(', ')}, left by an interrupted Lifeboat operation on ${volume}.`,
    );
  return names;
}
