import type Docker from 'dockerode';
import { LifeboatError, quoteList } from '../common';
import type { Logger } from '../common';
import { runExec } from '../docker';

/**
 * Stops the running ones among `names`; returns those it stopped, to start again later.
 * `beforeStop` hears the list including the next one before it goes down, so a record of it
 * outlives a kill -9 (see stoppedRecord in src/core/store).
 */
export async function stopContainers(
  docker: Docker,
  names: string[],
  log: Logger,
  beforeStop?: (stopping: string[]) => Promise<void>,
): Promise<string[]> {
  const stopped: string[] = [];
  for (const name of names) {
    const c = docker.getContainer(name);
    const info = await c.inspect().catch(() => undefined);
    if (!info?.State?.Running) continue;
    await beforeStop?.([...stopped, name]);
    log.info(`Stopping ${name}`);
    await c.stop({ t: 10 });
    stopped.push(name);
  }
  return stopped;
}

/**
 * Starts containers Lifeboat stopped (contract 5 in docs/contracts.md). Every one is tried even
 * when one fails, and the failures are reported together, since a caller runs this in a `finally`.
 */
export async function startContainers(docker: Docker, names: string[], log: Logger): Promise<void> {
  const failed: string[] = [];
  for (const name of names) {
    try {
      const c = docker.getContainer(name);
      const info = await c.inspect();
      if (info.State?.Running) continue;
      log.info(`Starting ${name}`);
      await c.start();
    } catch (err) {
      log.error(`Could not start ${name}: ${(err as Error).message}`);
      failed.push(name);
    }
  }
  if (failed.length) {
    throw new LifeboatError(
      `Could not start ${quoteList(failed)} again.`,
      `Start ${failed.length > 1 ? 'them' : 'it'} with docker compose start, and see the Lifeboat log.`,
    );
  }
}

export interface MigrationResult {
  container: string;
  argv: string[];
  exitCode: number;
  output: string;
}

/** Runs the migration command (an argv, e.g. `alembic upgrade head`) in the app container. */
export async function runMigration(docker: Docker, container: string, argv: string[], log: Logger): Promise<MigrationResult> {
  log.info(`Running ${argv.join(' ')} in ${container}`);
  const r = await runExec(docker.getContainer(container), { argv });
  const output = [r.stdout, r.stderr].filter(Boolean).join('\n').trim();
  if (output) log.tool(argv[0], output);
  return { container, argv, exitCode: r.exitCode, output };
}

/** An app container that has Alembic: then `alembic upgrade head` is the migration to run. */
export async function detectAlembic(docker: Docker, containers: string[]): Promise<string | undefined> {
  for (const name of containers) {
    const r = await runExec(docker.getContainer(name), { argv: ['alembic', '--help'] }).catch(() => undefined);
    if (r && r.exitCode === 0) return name;
  }
  return undefined;
}
