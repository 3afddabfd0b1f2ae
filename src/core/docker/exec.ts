import type Docker from 'dockerode';
import { Duplex, PassThrough, Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DockerDemux, StderrTail } from './demux';
import { toEngineError } from './docker';
import { CancelledError, ContainerNotRunningError, LifeboatError, formatBytes } from '../common';

export interface ExecSpec {
  /** argv, never a shell string (contract 7 in docs/contracts.md). */
  argv: string[];
  env?: string[];
  user?: string;
}

export interface RunningExec {
  /** stdout only, demultiplexed, with backpressure back to the process. */
  stdout: Readable;
  stderr: StderrTail;
  /** Feeds the process's stdin (only when started with `stdin: true`); ending it sends EOF. */
  stdin?: Writable;
  /** Resolves to the exit code once the process has ended (after the output ended). */
  exitCode(): Promise<number>;
  /** Host PID of the process, when the engine reports it. */
  pid(): Promise<number | undefined>;
  /** Tears the connection down (the process itself may need more to stop; see callers). */
  destroy(): void;
}

export async function startExec(container: Docker.Container, spec: ExecSpec, opts: { stdin?: boolean } = {}): Promise<RunningExec> {
  let exec: Docker.Exec;
  try {
    exec = await container.exec({
      Cmd: spec.argv,
      Env: spec.env,
      User: spec.user,
      AttachStdin: !!opts.stdin,
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
    });
  } catch (err) {
    // An engine that went away is said as such, not as a bare "connect ENOENT".
    throw notRunning(err, container.id, spec.argv[0]) ?? toEngineError(err);
  }
  let socket: Duplex;
  try {
    socket = (await exec.start({ hijack: true, stdin: !!opts.stdin })) as unknown as Duplex;
  } catch (err) {
    throw toEngineError(err);
  }
  const stderr = new StderrTail();
  const demux = new DockerDemux(stderr.push);
  const stdout = new PassThrough({ highWaterMark: 1 << 20 });
  const pumped = pipeline(socket, demux, stdout).catch((err: Error) => {
    stdout.destroy(err);
  });

  return {
    stdout,
    stderr,
    stdin: opts.stdin ? socket : undefined,
    async exitCode() {
      await pumped;
      return waitForExit(exec);
    },
    async pid() {
      const info = await exec.inspect();
      return info.Pid || undefined;
    },
    destroy() {
      socket.destroy();
    },
  };
}

/** Polls the exec until the engine says it has stopped; the stream ending is not enough. */
async function waitForExit(exec: Docker.Exec, timeoutMs = 15000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 10; ; delay = Math.min(delay * 2, 200)) {
    const info = await exec.inspect();
    if (!info.Running) return typeof info.ExitCode === 'number' ? info.ExitCode : -1;
    if (Date.now() > deadline) throw new LifeboatError('A process in the container did not exit after its output ended.');
    await new Promise((r) => setTimeout(r, delay));
  }
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Runs a short command and collects its output (bounded: for queries and versions, not dumps). */
export async function runExec(
  container: Docker.Container,
  spec: ExecSpec,
  opts: { input?: string; signal?: AbortSignal; maxOutput?: number } = {},
): Promise<ExecResult> {
  if (opts.signal?.aborted) throw new CancelledError();
  const run = await startExec(container, spec, { stdin: opts.input !== undefined });
  const onAbort = () => run.destroy();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    if (run.stdin) {
      run.stdin.end(opts.input);
    }
    const limit = opts.maxOutput ?? 16 * 1024 * 1024;
    const chunks: Buffer[] = [];
    let size = 0;
    await pipeline(
      run.stdout,
      new Writable({
        write(chunk: Buffer, _enc, done) {
          size += chunk.length;
          if (size > limit) return done(new LifeboatError(`The output of "${spec.argv[0]}" exceeded ${formatBytes(limit)}.`));
          chunks.push(chunk);
          done();
        },
      }),
    );
    const exitCode = await run.exitCode();
    return { exitCode, stdout: Buffer.concat(chunks).toString('utf8'), stderr: run.stderr.text() };
  } catch (err) {
    if (opts.signal?.aborted) throw new CancelledError();
    throw err;
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * Docker answers an exec into a stopped, paused or restarting container with 409 Conflict; the
 * container stopped since it was looked up (or was never checked), which is the stack being down.
 */
function notRunning(err: unknown, id: string, program: string | undefined): ContainerNotRunningError | undefined {
  const e = err as { statusCode?: number; message?: string; json?: { message?: string } };
  const said = e?.json?.message ?? e?.message ?? '';
  if (e?.statusCode !== 409 || !/is not running|is paused|is restarting/i.test(said)) return undefined;
  return new ContainerNotRunningError(
    `Cannot run ${program ?? 'a command'} in container ${id.slice(0, 12)}: ${said.replace(/^\(HTTP code 409\) [^-]*- /, '').trim()}.`,
    'Start the stack with `docker compose up -d` in its folder (or `docker start` the container), then retry.',
  );
}
