import { promises as fs } from 'node:fs';
import { join } from 'node:path';

/** The file names Docker Compose looks for, in the order it prefers them. */
export const COMPOSE_FILE_NAMES: readonly string[] = ['compose.yaml', 'compose.yml', 'docker-compose.yaml', 'docker-compose.yml'];

/** The Compose file Docker Compose would read in `dir`, or undefined when there is none. */
export async function composeFileIn(dir: string): Promise<string | undefined> {
  for (const name of COMPOSE_FILE_NAMES) {
    const st = await fs.stat(join(dir, name)).catch(() => undefined);
    if (st?.isFile()) return name;
  }
  return undefined;
}

/**
 * The runbook names `docker-compose.yml`; a project may use any of Compose's four names. A
 * listed Compose file name that is not there stands for the one that is, unless that one is
 * listed too, so the default config paths archive `compose.yaml` where that is the file.
 */
export async function withActualComposeFile(dir: string, paths: readonly string[]): Promise<string[]> {
  const actual = await composeFileIn(dir);
  if (!actual || paths.includes(actual)) return [...paths];
  let replaced = false;
  const out: string[] = [];
  for (const p of paths) {
    if (!replaced && COMPOSE_FILE_NAMES.includes(p)) {
      const there = await fs.lstat(join(dir, p)).catch(() => undefined);
      if (!there) {
        out.push(actual);
        replaced = true;
        continue;
      }
    }
    out.push(p);
  }
  return out;
}
