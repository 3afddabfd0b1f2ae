import { acquireLock } from '../store';
import type { Logger } from '../common';
import type { PsqlTarget } from '../postgres';
import { listSideDatabases } from './databaseSwap';
import type { SideDatabase } from './databaseSwap';
import { dropDatabase } from './scratchRestore';

/**
 * The scratch databases interrupted runs left beside the live one: a dry run's `_restore_` copy
 * and a full verify's `_verify_` one. Never the live database, a pre-restore copy or a failed
 * restore's copy: those hold data someone may want.
 */
export async function scratchDatabases(target: PsqlTarget, live: string): Promise<SideDatabase[]> {
  return (await listSideDatabases(target, live)).filter((d) => d.kind === 'restore' || d.kind === 'verify');
}

/**
 * Drops the scratch databases among `names` (others are left alone, whatever they are called),
 * under the stack's lock so a dry run that is still loading its copy is never dropped under it.
 * Returns the names dropped.
 */
export async function dropScratchDatabases(
  target: PsqlTarget,
  live: string,
  names: string[],
  opts: { backupDir: string; lockName: string; logger: Logger },
): Promise<string[]> {
  const lock = await acquireLock(opts.backupDir, opts.lockName, 'cleanup');
  try {
    const scratch = new Set((await scratchDatabases(target, live)).map((d) => d.name));
    const dropped: string[] = [];
    for (const name of names.filter((n) => scratch.has(n))) {
      await dropDatabase(target, name);
      opts.logger.info(`Dropped the scratch database ${name}, left by an interrupted run.`);
      dropped.push(name);
    }
    return dropped;
  } finally {
    await lock.release();
  }
}

/** The command that drops them by hand, as `lifeboat status` prints it: one psql, one DROP each. */
export function dropScratchCommand(container: string, user: string, names: string[]): string {
  // SQL quoting for the name, then shell quoting for the whole -c argument.
  const drops = names.map((n) => `-c '${`DROP DATABASE "${n.replace(/"/g, '""')}"`.replace(/'/g, `'\\''`)}'`).join(' ');
  return `docker exec ${container} psql -U ${user} -d postgres ${drops}`;
}
