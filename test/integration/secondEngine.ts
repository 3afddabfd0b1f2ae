// A second, real Docker engine for tests: its own dockerd with its own data, a unix socket of
// its own and, when asked, a tcp://127.0.0.1 endpoint that demands TLS client certificates
// (dockerd --tlsverify). Like the first engine, no bridge network and no iptables.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import { join } from 'node:path';
import { freePort, run } from './harness';

export interface SecondEngine {
  socket: string;
  /** tcp://127.0.0.1:PORT, present when started with TLS material. */
  tcp?: string;
  /** `docker` CLI arguments that reach it. */
  cli(args: string[]): Promise<string>;
  /** Stops dockerd (SIGTERM), as a restart of the engine does first; its data and containers stay. */
  halt(): Promise<void>;
  /** Starts dockerd again on the same data and socket after halt(). */
  resume(): Promise<void>;
  stop(): Promise<void>;
}

export interface ServerTls {
  ca: string;
  cert: string;
  key: string;
}

export async function startSecondEngine(dir: string, tls?: ServerTls): Promise<SecondEngine> {
  await fs.mkdir(dir, { recursive: true });
  // Short paths: a unix socket path must stay under 108 bytes.
  const socket = join(dir, 'd.sock');
  const args = [
    '--data-root',
    join(dir, 'data'),
    '--exec-root',
    join(dir, 'x'),
    '--pidfile',
    join(dir, 'dockerd.pid'),
    '--bridge=none',
    '--iptables=false',
    '--ip6tables=false',
    '-H',
    `unix://${socket}`,
  ];
  let tcp: string | undefined;
  if (tls) {
    tcp = `tcp://127.0.0.1:${await freePort()}`;
    args.push('-H', tcp, '--tlsverify', '--tlscacert', tls.ca, '--tlscert', tls.cert, '--tlskey', tls.key);
  }
  const cli = async (a: string[]) => (await run('docker', ['-H', `unix://${socket}`, ...a], { maxBuffer: 16 * 1024 * 1024 })).stdout;
  const launch = async () => {
    const log = await fs.open(join(dir, 'dockerd.log'), 'a');
    const child: ChildProcess = spawn('dockerd', args, { stdio: ['ignore', log.fd, log.fd] });
    for (let i = 0; ; i++) {
      if (
        existsSync(socket) &&
        (await cli(['version', '--format', '{{.Server.Version}}']).then(
          () => true,
          () => false,
        ))
      )
        break;
      if (child.exitCode !== null || i > 150) {
        await log.close();
        throw new Error(`the second dockerd did not start: ${await fs.readFile(join(dir, 'dockerd.log'), 'utf8').catch(() => '')}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    return { child, log };
  };
  const halt = async (d: { child: ChildProcess; log: fs.FileHandle }) => {
    const exited = new Promise<void>((r) => (d.child.exitCode !== null ? r() : d.child.once('exit', () => r())));
    d.child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
    await d.log.close();
  };
  let daemon: { child: ChildProcess; log: fs.FileHandle } | undefined = await launch();
  return {
    socket,
    tcp,
    cli,
    halt: async () => {
      if (daemon) await halt(daemon);
      daemon = undefined;
    },
    resume: async () => {
      daemon ??= await launch();
    },
    stop: async () => {
      if (!daemon) daemon = await launch();
      // Its containers first, so dockerd unmounts their layers before it exits.
      const ids = (await cli(['ps', '-aq']).catch(() => '')).split('\n').filter(Boolean);
      if (ids.length) await cli(['rm', '-f', '-v', ...ids]).catch(() => undefined);
      await halt(daemon);
      daemon = undefined;
      // dockerd leaves its network namespace bind-mounted under the exec root.
      const mounts = (await fs.readFile('/proc/self/mounts', 'utf8'))
        .split('\n')
        .map((l) => l.split(' ')[1])
        .filter((m) => m && (m === dir || m.startsWith(`${dir}/`)))
        .sort((a, b) => b.length - a.length);
      for (const m of mounts) await run('umount', ['-l', m]).catch(() => undefined);
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}

/** Copies an image from the first engine into the second (no registry here). */
export async function copyImage(engine: SecondEngine, image: string): Promise<void> {
  await run('bash', ['-o', 'pipefail', '-c', `docker save "$1" | docker -H "unix://$2" load -q`, 'copy-image', image, engine.socket]);
}
