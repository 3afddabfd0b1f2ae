// What the benchmarks share: a timed Sample of one run, the best of several, the line that
// prints it beside its reference, and the random file and manifest they are measured on.
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { MANIFEST_VERSION, writeManifest } from '../src/core/store';

export const run = promisify(execFile);
export const ROUNDS = Number(process.env.LIFEBOAT_BENCH_ROUNDS ?? 3);

export interface Sample {
  ms: number;
  maxRssKb?: number;
}

/** The fastest of the samples (the least disturbed by other work on the machine), with the highest RSS of them all. */
export function bestOf<T extends Sample>(samples: readonly T[]): T {
  const top = samples.reduce((a, b) => (b.ms < a.ms ? b : a));
  return { ...top, maxRssKb: Math.max(...samples.map((s) => s.maxRssKb ?? 0)) || undefined };
}

/** `fn` run ROUNDS times, one after the other; the round's number lets each write somewhere new. */
export async function best<T extends Sample>(fn: (round: number) => Promise<T>): Promise<T> {
  const samples: T[] = [];
  for (let i = 0; i < ROUNDS; i++) samples.push(await fn(i));
  return bestOf(samples);
}

/** A command's time; with GNU time installed, its peak RSS too. */
export async function timeCli(cmd: string, args: string[], env?: NodeJS.ProcessEnv): Promise<Sample> {
  const started = process.hrtime.bigint();
  const { stderr } = await run('/usr/bin/time', ['-f', 'maxrss=%M', cmd, ...args], { env, maxBuffer: 1 << 20 }).catch(
    (err: NodeJS.ErrnoException) => {
      // No GNU time on this machine: the time alone.
      if (err.code === 'ENOENT' && err.path === '/usr/bin/time') return run(cmd, args, { env, maxBuffer: 1 << 20 });
      throw err;
    },
  );
  const rss = /maxrss=(\d+)/.exec(String(stderr))?.[1];
  return { ms: Number(process.hrtime.bigint() - started) / 1e6, maxRssKb: rss ? Number(rss) : undefined };
}

/**
 * One result line: time, throughput, peak RSS, and how it compares with `reference` (named by
 * `than`, e.g. "the CLI's"). `width` lines the labels of one benchmark up.
 */
export function line(label: string, bytes: number, s: Sample, width: number, reference?: Sample, than = "the CLI's"): string {
  const mbps = bytes / (1 << 20) / (s.ms / 1000);
  const parts = [`${label.padEnd(width)} ${(s.ms / 1000).toFixed(2).padStart(7)} s  ${mbps.toFixed(0).padStart(5)} MiB/s`];
  if (s.maxRssKb) parts.push(`peak RSS ${(s.maxRssKb / 1024).toFixed(0)} MiB`);
  if (reference) parts.push(`${(s.ms / reference.ms).toFixed(2)}x ${than} time`);
  return parts.join('  ');
}

export async function sha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

/**
 * `mb` MiB of random bytes at `path` (mode 600), and their sha256. A compressed backup looks
 * random to a cipher and on the wire, and nothing can shortcut random data: the honest stand-in.
 */
export async function randomFile(path: string, mb: number): Promise<string> {
  const hash = createHash('sha256');
  const handle = await fs.open(path, 'w', 0o600);
  try {
    for (let i = 0; i < mb; i++) {
      const chunk = randomBytes(1 << 20);
      hash.update(chunk);
      await handle.write(chunk);
    }
  } finally {
    await handle.close();
  }
  return hash.digest('hex');
}

/** A Lifeboat manifest beside `file`, so the copy is checked the way a real backup's is. */
export async function benchManifest(file: string, name: string, bytes: number, sha256Hex: string): Promise<void> {
  await writeManifest(file, {
    formatVersion: MANIFEST_VERSION,
    kind: 'database',
    createdAt: new Date().toISOString(),
    tool: { name: 'lifeboat', version: 'bench' },
    source: {},
    compression: { format: 'gzip' },
    file: { name, bytes, sha256: sha256Hex },
    verifications: [],
  });
}

/**
 * When `mod` is the program run (not imported by bench/run.ts): `bench` on the file named on the
 * command line, else on 200 MiB of random data saved as `name` in a folder removed afterwards.
 */
export function runOnFile(mod: NodeModule, name: string, bench: (file: string) => Promise<void>): void {
  if (require.main !== mod) return;
  const main = async () => {
    let file = process.argv[2];
    let made: string | undefined;
    if (!file) {
      made = await fs.mkdtemp(join(tmpdir(), 'lifeboat-bench-data-'));
      file = join(made, name);
      await randomFile(file, 200);
    }
    try {
      await bench(file);
    } finally {
      if (made) await fs.rm(made, { recursive: true, force: true });
    }
  };
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
