// Volume snapshot and restore: Lifeboat against the runbook's helper-container commands,
// same volume, same run. Not a test: it prints times, ratios and peak RSS for the issue notes.
//   runbook snapshot: docker run --rm -v vol:/data -v $PWD/backups:/backup <helper> tar -czf /backup/x.tar.gz -C /data .
//   runbook restore:  docker run --rm -v vol:/data -v $PWD/backups:/backup <helper> tar -xzf /backup/x.tar.gz -C /data
// Usage: node out-vol/bench/volume.js   (env: LIFEBOAT_BENCH_VOLUME, LIFEBOAT_BENCH_VOLUME_MB, LIFEBOAT_BENCH_ROUNDS)
import { execFile, spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const VOLUME = process.env.LIFEBOAT_BENCH_VOLUME ?? 'lifeboat_bench_vol';
const MB = Number(process.env.LIFEBOAT_BENCH_VOLUME_MB ?? 420);
const ROUNDS = Number(process.env.LIFEBOAT_BENCH_ROUNDS ?? 1);
const HELPER = process.env.LIFEBOAT_BENCH_HELPER ?? 'lifeboat/helper:latest';

interface Sample {
  ms: number;
  maxRssKb?: number;
  path?: string;
  safety?: string;
  phases?: { phase: string; ms: number }[];
}

async function docker(args: string[]): Promise<string> {
  const { stdout } = await run('docker', args, { maxBuffer: 16 * 1024 * 1024 });
  return stdout;
}

/**
 * A volume of about MB megabytes, made once: 45% compressible text (logs), 45% random bytes
 * (already-compressed media), and 10% in 2,000 small files, the shape that costs per-entry
 * overhead. The docker CLI and a shell arrange it; nothing under test runs a shell.
 */
async function ensureVolume(): Promise<number> {
  const marker = await docker(['volume', 'inspect', '-f', '{{index .Labels "io.lifeboat.bench.mb"}}', VOLUME]).catch(() => '');
  if (marker.trim() !== String(MB)) {
    await docker(['volume', 'rm', '-f', VOLUME]).catch(() => undefined);
    await docker(['volume', 'create', '--label', `io.lifeboat.bench.mb=${MB}`, VOLUME]);
    const big = Math.round(MB * 0.45);
    const small = Math.round((MB * 0.1 * 1024) / 2000);
    console.log(`filling ${VOLUME} with ${MB} MB (text ${big} MB, random ${big} MB, 2000 files of ${small} KB)`);
    const script = [
      'set -e',
      'i=0; while [ $i -lt 200000 ]; do echo "2024-01-01T00:00:00Z INFO request $i served in $((i % 97)) ms path=/api/items/$((i % 1000)) user=$((i % 313))"; i=$((i+1)); done > /data/seed.log',
      `while [ $(stat -c %s /data/app.log 2>/dev/null || echo 0) -lt $((${big} * 1048576)) ]; do cat /data/seed.log >> /data/app.log; done`,
      'rm /data/seed.log',
      `head -c $((${big} * 1048576)) /dev/urandom > /data/media.bin`,
      'mkdir -p /data/small',
      `j=0; while [ $j -lt 2000 ]; do head -c $((${small} * 1024)) /dev/urandom | base64 > /data/small/f$j.txt; j=$((j+1)); done`,
      'chown -R 999:999 /data && chmod 700 /data',
    ].join('\n');
    await docker(['run', '--rm', '--network', 'none', '-v', `${VOLUME}:/data`, HELPER, 'sh', '-c', script]);
  }
  const du = await docker(['run', '--rm', '--network', 'none', '-v', `${VOLUME}:/data`, HELPER, 'du', '-sk', '/data']);
  return Number(du.split(/\s/)[0]) * 1024;
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - started) / 1e6;
}

function shellSnapshot(dir: string): Promise<number> {
  return timed(() =>
    docker([
      'run',
      '--rm',
      '--network',
      'none',
      '-v',
      `${VOLUME}:/data`,
      '-v',
      `${dir}:/backup`,
      HELPER,
      'tar',
      '-czf',
      '/backup/shell.tar.gz',
      '-C',
      '/data',
      '.',
    ]),
  );
}

function shellRestore(dir: string): Promise<number> {
  return timed(() =>
    docker([
      'run',
      '--rm',
      '--network',
      'none',
      '-v',
      `${VOLUME}:/data`,
      '-v',
      `${dir}:/backup`,
      HELPER,
      'tar',
      '-xzf',
      '/backup/shell.tar.gz',
      '-C',
      '/data',
    ]),
  );
}

async function child(args: string[]): Promise<Sample> {
  const out = await new Promise<string>((resolve, reject) => {
    const c = spawn(process.execPath, [join(__dirname, 'volumeOnce.js'), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    c.stdout.on('data', (d) => (text += d));
    c.on('error', reject);
    c.on('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`volumeOnce ${args[0]} exited ${code}`))));
  });
  return JSON.parse(out) as Sample;
}

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const mib = (b: number) => `${(b / 1048576).toFixed(0)} MiB`;

export async function benchVolume(): Promise<void> {
  const bytes = await ensureVolume();
  const dir = await fs.mkdtemp(join(tmpdir(), 'lifeboat-bench-vol-'));
  try {
    const shellSnap: number[] = [];
    const oursSnap: Sample[] = [];
    const shellRest: number[] = [];
    const oursRest: Sample[] = [];
    // Warm the page cache once so neither side pays for the first read.
    await shellSnapshot(dir);
    for (let i = 0; i < ROUNDS; i++) {
      // Alternate who goes first so drift on the machine hits both alike.
      const ours = async () => {
        const r = await child(['snapshot', VOLUME, dir, HELPER]);
        oursSnap.push(r);
      };
      if (i % 2 === 0) {
        shellSnap.push(await shellSnapshot(dir));
        await ours();
      } else {
        await ours();
        shellSnap.push(await shellSnapshot(dir));
      }
      const file = oursSnap.at(-1)!.path!;
      const oursR = async () => {
        const r = await child(['restore', VOLUME, dir, HELPER, file]);
        oursRest.push(r);
        // The safety snapshot is kept by design; the bench drops it to keep the disk in check.
        if (r.safety) {
          await fs.rm(r.safety, { force: true });
          await fs.rm(`${r.safety}.json`, { force: true });
        }
      };
      if (i % 2 === 0) {
        shellRest.push(await shellRestore(dir));
        await oursR();
      } else {
        await oursR();
        shellRest.push(await shellRestore(dir));
      }
      console.log(
        `  round ${i + 1}: snapshot shell ${s(shellSnap[i])}, lifeboat ${s(oursSnap[i].ms)}; restore shell ${s(shellRest[i])}, lifeboat ${s(oursRest[i].ms)}`,
      );
    }
    const shellSize = (await fs.stat(join(dir, 'shell.tar.gz'))).size;
    const oursSize = (await fs.stat(oursSnap[0].path!)).size;
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const snapShell = median(shellSnap);
    const snapOurs = median(oursSnap.map((x) => x.ms));
    const restShell = median(shellRest);
    const restOurs = median(oursRest.map((x) => x.ms));
    const rss = (xs: Sample[]) => `${(Math.max(...xs.map((x) => x.maxRssKb ?? 0)) / 1024).toFixed(0)} MiB`;
    console.log(`\nvolume ${VOLUME}: ${mib(bytes)} on disk, helper ${HELPER}, median of ${ROUNDS}`);
    console.log(`  snapshot  runbook docker run … tar -czf        ${s(snapShell)}   ${mib(shellSize)}`);
    console.log(`            lifeboat snapshotVolume              ${s(snapOurs)}   ${mib(oursSize)}   peak RSS ${rss(oursSnap)}`);
    console.log(`            time ratio ${(snapOurs / snapShell).toFixed(2)}x   size ratio ${(oursSize / shellSize).toFixed(3)}x`);
    console.log(`  restore   runbook docker run … tar -xzf        ${s(restShell)}   (no check, no safety copy)`);
    console.log(
      `            lifeboat restoreVolume               ${s(restOurs)}   peak RSS ${rss(oursRest)}   (checked while staged; previous content kept aside until done)`,
    );
    console.log(`            time ratio ${(restOurs / restShell).toFixed(2)}x against the bare extract`);
    // Contract 3 in docs/contracts.md makes a snapshot part of every restore; the runbook's
    // equivalent is tar -czf, then tar -xzf.
    console.log(`            time ratio ${(restOurs / (restShell + snapShell)).toFixed(2)}x against the runbook's snapshot + extract`);
    console.log('  lifeboat restore phases (last round):');
    for (const p of oursRest.at(-1)!.phases ?? []) console.log(`    ${p.phase.padEnd(48)} ${s(p.ms)}`);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  benchVolume().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
