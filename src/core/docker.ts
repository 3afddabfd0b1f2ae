import Docker from 'dockerode';
import { DockerUnavailableError } from './errors';

/** The engine Lifeboat talks to: DOCKER_HOST when set, else the default socket. */
export function dockerEndpoint(): string {
  return process.env.DOCKER_HOST || (process.platform === 'win32' ? 'npipe:////./pipe/docker_engine' : '/var/run/docker.sock');
}

export function connectDocker(): Docker {
  return new Docker();
}

/** Pings the engine, turning socket errors into one that says how to start Docker. */
export async function pingDocker(docker: Docker, timeoutMs = 3000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      docker.ping(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(Object.assign(new Error('no answer'), { code: 'ETIMEDOUT' })), timeoutMs);
      }),
    ]);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new DockerUnavailableError(dockerEndpoint(), code);
  } finally {
    clearTimeout(timer);
  }
}

/** True for errors that mean the engine itself is gone, rather than a request that failed. */
export function isEngineDown(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException)?.code;
  return code === 'ECONNREFUSED' || code === 'ENOENT' || code === 'ECONNRESET' || code === 'EPIPE';
}
