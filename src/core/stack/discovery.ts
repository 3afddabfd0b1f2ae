import type Docker from 'dockerode';
import { promises as fs } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { LifeboatError, type LifeboatErrorOptions } from '../common';

const PROJECT = 'com.docker.compose.project';
const WORKING_DIR = 'com.docker.compose.project.working_dir';
const SERVICE = 'com.docker.compose.service';

export interface DiscoverySettings {
  /** The workspace folder whose Compose project we look for. */
  folder?: string;
  composeProject?: string;
  dbContainer?: string;
  database?: string;
  user?: string;
}

export interface ContainerRef {
  id: string;
  name: string;
  service?: string;
  image: string;
  state: string;
}

export interface VolumeRef {
  name: string;
  /** Where it is mounted in the database container, when it is. */
  destination?: string;
  usedBy: string[];
}

export interface DatabaseTarget extends ContainerRef {
  user: string;
  database: string;
}

export interface Stack {
  project?: string;
  workingDir?: string;
  db: DatabaseTarget;
  apps: ContainerRef[];
  volumes: VolumeRef[];
}

export class NoStackError extends LifeboatError {
  constructor(message: string, hint: string, options?: LifeboatErrorOptions) {
    super(message, hint, undefined, options);
    this.name = 'NoStackError';
  }
}

/**
 * Finds the stack with no configuration when it can: the Compose project started from the
 * workspace folder, its PostgreSQL container, user and database from that container's
 * environment. Settings override each guess. Names match exactly: Docker's name filter is a
 * regular expression (`sms-db` would also match `sms-db-old`), so we filter ourselves.
 */
export async function discoverStack(docker: Docker, settings: DiscoverySettings): Promise<Stack> {
  const all = await docker.listContainers({ all: true });
  let members: Docker.ContainerInfo[];
  let dbInfo: Docker.ContainerInfo | undefined;

  if (settings.dbContainer) {
    dbInfo = all.find((c) => c.Names.some((n) => n.replace(/^\//, '') === settings.dbContainer));
    if (!dbInfo) {
      throw new NoStackError(
        `No container is named "${settings.dbContainer}" (setting lifeboat.database.container).`,
        'Start the stack, or correct the container name in the settings (`docker ps -a` lists the names).',
      );
    }
    const project = dbInfo.Labels?.[PROJECT];
    members = project ? all.filter((c) => c.Labels?.[PROJECT] === project) : [dbInfo];
  } else {
    members = await projectMembers(all, settings);
    if (members.length === 0) {
      const where = settings.composeProject
        ? `Compose project "${settings.composeProject}"`
        : `a Compose project started from ${settings.folder ?? 'this workspace'}`;
      throw new NoStackError(
        `No containers of ${where} were found.`,
        'Start the stack with `docker compose up -d` in the workspace folder, or set lifeboat.composeProject or lifeboat.database.container.',
      );
    }
  }

  const inspected = new Map<string, Docker.ContainerInspectInfo>();
  for (const c of members) inspected.set(c.Id, await docker.getContainer(c.Id).inspect());

  if (!dbInfo) {
    const candidates = members.filter((c) => looksLikePostgres(c, inspected.get(c.Id)!));
    // Prefer a service that names its database: a sidecar image (pgadmin, exporters) rarely does.
    dbInfo = candidates.find((c) => envOf(inspected.get(c.Id)!).POSTGRES_DB) ?? candidates[0];
    if (!dbInfo) {
      throw new NoStackError(
        `The Compose project "${members[0].Labels?.[PROJECT]}" has no PostgreSQL container.`,
        'Name the database container in the setting lifeboat.database.container.',
      );
    }
  }

  const dbInspect = inspected.get(dbInfo.Id) ?? (await docker.getContainer(dbInfo.Id).inspect());
  const env = envOf(dbInspect);
  const user = settings.user || env.POSTGRES_USER || env.PGUSER || 'postgres';
  const database = settings.database || env.POSTGRES_DB || env.PGDATABASE || user;

  const volumes = new Map<string, VolumeRef>();
  for (const c of members) {
    const info = inspected.get(c.Id)!;
    for (const m of info.Mounts ?? []) {
      if (m.Type !== 'volume' || !m.Name) continue;
      const v = volumes.get(m.Name) ?? { name: m.Name, usedBy: [] };
      v.usedBy.push(ref(c).name);
      if (c.Id === dbInfo.Id) v.destination = m.Destination;
      volumes.set(m.Name, v);
    }
  }

  return {
    project: dbInfo.Labels?.[PROJECT],
    workingDir: dbInfo.Labels?.[WORKING_DIR],
    db: { ...ref(dbInfo), user, database },
    apps: members.filter((c) => c.Id !== dbInfo!.Id).map(ref),
    volumes: [...volumes.values()],
  };
}

async function projectMembers(all: Docker.ContainerInfo[], settings: DiscoverySettings): Promise<Docker.ContainerInfo[]> {
  if (settings.composeProject) return all.filter((c) => c.Labels?.[PROJECT] === settings.composeProject);
  if (!settings.folder) return [];
  const wanted = new Set([resolve(settings.folder)]);
  try {
    wanted.add(await fs.realpath(settings.folder));
  } catch {
    // A folder that no longer exists can still match a label written earlier.
  }
  const started = all.filter((c) => {
    const dir = c.Labels?.[WORKING_DIR];
    return dir !== undefined && wanted.has(resolve(dir));
  });
  if (started.length) return started;
  // Started from another copy of the folder (or before it moved): the project name the folder
  // gives Compose (COMPOSE_PROJECT_NAME in its .env, else its name) still identifies it.
  const project = await folderProjectName(settings.folder);
  return all.filter((c) => c.Labels?.[PROJECT] === project);
}

/** The project name `docker compose` would use in this folder. */
export async function folderProjectName(folder: string): Promise<string> {
  try {
    const env = await fs.readFile(join(folder, '.env'), 'utf8');
    const m = env.match(/^\s*COMPOSE_PROJECT_NAME\s*=\s*["']?([^"'\s#]+)/m);
    if (m) return m[1];
  } catch {
    // No .env: the folder name decides.
  }
  return basename(resolve(folder))
    .toLowerCase()
    .replace(/[^a-z0-9_-]/g, '');
}

function looksLikePostgres(c: Docker.ContainerInfo, info: Docker.ContainerInspectInfo): boolean {
  if (/postgres|postgis|timescale/i.test(c.Image)) return true;
  const env = envOf(info);
  return Object.keys(env).some((k) => k.startsWith('POSTGRES_') || k === 'PGDATA');
}

function envOf(info: Docker.ContainerInspectInfo): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of info.Config?.Env ?? []) {
    const i = entry.indexOf('=');
    if (i > 0) env[entry.slice(0, i)] = entry.slice(i + 1);
  }
  return env;
}

function ref(c: Docker.ContainerInfo): ContainerRef {
  return {
    id: c.Id,
    name: (c.Names[0] ?? c.Id).replace(/^\//, ''),
    service: c.Labels?.[SERVICE],
    image: c.Image,
    state: c.State,
  };
}
