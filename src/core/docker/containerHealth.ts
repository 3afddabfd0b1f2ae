import type Docker from 'dockerode';
import { CancelledError, LifeboatError } from '../common';
import type { Logger } from '../common';

export interface ContainerWaitOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  log: Logger;
  /** What the containers were started after, for messages; default "the restore". */
  after?: string;
}

/**
 * Waits until every container runs and, when it has a health check, reports healthy. A
 * container that exits or restarts fails at once (waiting out the timeout would only delay
 * the rollback); its last log lines go to the Lifeboat log.
 */
export async function waitForContainers(docker: Docker, names: string[], opts: ContainerWaitOptions): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  for (const name of names) {
    const c = docker.getContainer(name);
    for (;;) {
      if (opts.signal?.aborted) throw new CancelledError();
      const info = await c.inspect();
      const state = info.State;
      if (!state.Running || state.Restarting) {
        await logTail(c, name, opts.log);
        throw new LifeboatError(
          `"${name}" ${state.Restarting ? 'keeps restarting' : `stopped (exit code ${state.ExitCode})`} after ${opts.after ?? 'the restore'}.`,
          `See its output in the Lifeboat log (or \`docker logs ${name}\`).`,
        );
      }
      const health = state.Health?.Status;
      if (!health || health === 'none' || health === 'healthy') break;
      if (health === 'unhealthy') {
        await logTail(c, name, opts.log);
        throw new LifeboatError(
          `"${name}" reports unhealthy after ${opts.after ?? 'the restore'}.`,
          `See \`docker inspect ${name}\` and its logs.`,
        );
      }
      if (Date.now() > deadline) {
        throw new LifeboatError(
          `"${name}" was not healthy ${Math.round(opts.timeoutMs / 1000)} s after ${opts.after ?? 'the restore'} (health: ${health}).`,
          `See \`docker logs ${name}\`.`,
        );
      }
      await new Promise((r) => setTimeout(r, 300));
    }
    opts.log.info(`${name} is running`);
  }
}

async function logTail(c: Docker.Container, name: string, log: Logger): Promise<void> {
  try {
    const buf = (await c.logs({ stdout: true, stderr: true, follow: false, tail: 30 })) as unknown as Buffer;
    const parts: Buffer[] = [];
    for (let i = 0; i + 8 <= buf.length;) {
      const len = buf.readUInt32BE(i + 4);
      parts.push(buf.subarray(i + 8, i + 8 + len));
      i += 8 + len;
    }
    const text = Buffer.concat(parts).toString('utf8').trim();
    if (text) log.tool(name, text);
  } catch {
    // Logs are a courtesy; the error message stands without them.
  }
}
