// Quick verify against `gunzip -t`, on the same file in the same run (and an encrypted copy of it
// against `age -d | gunzip -t`). Not a test: it prints times, the ratio and peak RSS.
// Standalone: node out/bench/verify.js [file.sql.gz]   (without a file, a dump-shaped .sql.gz of
// LIFEBOAT_BENCH_VERIFY_MB MiB, default 210, is written the way Lifeboat writes backups)
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { generateAgeKeyPair, AgeEncrypt } from '../src/core/crypto';
import { HashStream, ParallelGzip } from '../src/core/streams';
import { writeManifest } from '../src/core/store';

const run = promisify(execFile);
const ROUNDS = Number(process.env.LIFEBOAT_BENCH_ROUNDS ?? 3);
const TARGET_MB = Number(process.env.LIFEBOAT_BENCH_VERIFY_MB ?? 210);
const ONCE = join(__dirname, 'verifyOnce.js');

interface Sample {
  ms: number;
  maxRssKb?: number;
}

const WORDS =
  'alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november oscar papa quebec romeo sierra tango uniform victor whiskey xray yankee zulu'.split(
    ' ',
  );

/**
 * COPY rows like a real application's tables: ids, names, e-mails, timestamps, amounts and some
 * hex tokens, which compress about 3-4x with gzip -6 like the demo database's dumps.
 */
function rows(start: number, n: number): string {
  const out: string[] = [];
  const token = randomBytes(n * 6).toString('hex');
  for (let i = 0; i < n; i++) {
    const id = start + i;
    const a = WORDS[(id * 7) % WORDS.length];
    const b = WORDS[(id * 13 + 5) % WORDS.length];
    const day = String(1 + (id % 28)).padStart(2, '0');
    out.push(
      `${id}\t${a} ${b}\t${a}.${b}${id % 997}@example.org\t2025-0${1 + (id % 9)}-${day} 1${id % 10}:${String(id % 60).padStart(2, '0')}:00+00\t${(id % 100000) / 100}\t${token.slice(i * 12, i * 12 + 12)}\t${id % 3 === 0 ? 't' : 'f'}`,
    );
  }
  return out.join('\n') + '\n';
}

/** A pg_dump-shaped .sql.gz of at least TARGET_MB MiB, multi-member like Lifeboat's, with a manifest. */
async function makeDump(file: string): Promise<void> {
  const target = TARGET_MB * 1048576;
  const hash = new HashStream();
  let id = 0;
  let rowCount = 0;
  async function* sql(): AsyncGenerator<string> {
    yield '--\n-- PostgreSQL database dump\n--\n\n-- Dumped from database version 15.8\n-- Dumped by pg_dump version 15.8\n\nSET statement_timeout = 0;\n\n';
    yield 'COPY public.students (id, name, email, enrolled_at, balance, token, active) FROM stdin;\n';
    while (hash.bytes < target) {
      yield rows(id, 20000);
      id += 20000;
      rowCount += 20000;
    }
    yield '\\.\n\n\n--\n-- PostgreSQL database dump complete\n--\n\n';
  }
  await pipeline(Readable.from(sql()), new ParallelGzip({ level: 6 }), hash, createWriteStream(file, { mode: 0o600 }));
  const content = (await fs.stat(file)).size;
  await writeManifest(file, {
    formatVersion: 1,
    kind: 'database',
    createdAt: new Date().toISOString(),
    tool: { name: 'lifeboat', version: 'bench' },
    source: { database: 'bench' },
    compression: { format: 'gzip', level: 6 },
    file: { name: file.split('/').pop()!, bytes: content, sha256: hash.digest() },
    tables: { 'public.students': rowCount },
    verifications: [],
  });
}

async function timeShell(script: string, args: string[]): Promise<Sample> {
  const started = process.hrtime.bigint();
  const { stderr } = await run('/usr/bin/time', ['-f', '%M', 'bash', '-o', 'pipefail', '-c', script, 'bench', ...args], {
    maxBuffer: 1 << 20,
  });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  return { ms, maxRssKb: Number(stderr.trim().split('\n').at(-1)) || undefined };
}

async function timeOurs(file: string, identity?: string): Promise<Sample> {
  const { stdout } = await run(process.execPath, [ONCE, file, ...(identity ? [identity] : [])], { maxBuffer: 1 << 20 });
  return JSON.parse(stdout) as Sample;
}

/** The median of ROUNDS runs, alternating the two sides so both see the same machine load. */
async function pair(a: () => Promise<Sample>, b: () => Promise<Sample>): Promise<[Sample, Sample]> {
  const as: Sample[] = [];
  const bs: Sample[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    as.push(await a());
    bs.push(await b());
  }
  const med = (s: Sample[]): Sample => {
    const ms = [...s.map((x) => x.ms)].sort((x, y) => x - y)[Math.floor(s.length / 2)];
    return { ms, maxRssKb: Math.max(...s.map((x) => x.maxRssKb ?? 0)) || undefined };
  };
  return [med(as), med(bs)];
}

function line(label: string, s: Sample, reference?: Sample): string {
  const parts = [`  ${label.padEnd(44)} ${(s.ms / 1000).toFixed(2).padStart(6)} s`];
  if (s.maxRssKb) parts.push(`peak RSS ${(s.maxRssKb / 1024).toFixed(0)} MiB`);
  if (reference) parts.push(`ratio ${(s.ms / reference.ms).toFixed(2)}x`);
  return parts.join('   ');
}

/** The generated dump is kept between runs (minutes to write on a busy machine); LIFEBOAT_BENCH_FRESH=1 rewrites it. */
async function cachedDump(): Promise<string> {
  const cache = join(tmpdir(), `lifeboat-bench-verify-${TARGET_MB}`);
  const file = join(cache, 'bench_backup_20260101_000000.sql.gz');
  const have = await fs.access(`${file}.json`).then(
    () => true,
    () => false,
  );
  if (have && !process.env.LIFEBOAT_BENCH_FRESH) return file;
  await fs.rm(cache, { recursive: true, force: true });
  await fs.mkdir(cache, { recursive: true, mode: 0o700 });
  const t = Date.now();
  await makeDump(file);
  console.log(`wrote a dump-shaped backup to ${file} in ${((Date.now() - t) / 1000).toFixed(1)} s (kept for the next run)`);
  return file;
}

export async function benchVerify(given?: string): Promise<void> {
  const dir = await fs.mkdtemp(join(tmpdir(), 'lifeboat-bench-verify-'));
  try {
    const file = given ?? (await cachedDump());
    const bytes = (await fs.stat(file)).size;
    const keys = generateAgeKeyPair();
    const identity = join(dir, 'identity.txt');
    await fs.writeFile(identity, `${keys.identity}\n`, { mode: 0o600 });
    const sealed = join(dir, 'bench_backup_20260101_000001.sql.gz.age');
    await pipeline(createReadStream(file), new AgeEncrypt({ recipients: [keys.recipient] }), createWriteStream(sealed, { mode: 0o600 }));

    console.log(`quick verify on ${file}: ${(bytes / 1048576).toFixed(0)} MiB, median of ${ROUNDS} (alternating)`);
    const [gunzip, ours] = await pair(
      () => timeShell('gunzip -t "$1"', [file]),
      () => timeOurs(file),
    );
    console.log(line('gunzip -t', gunzip));
    console.log(line('Lifeboat quick verify (gzip, sha256, dump scan)', ours, gunzip));
    const [ageGunzip, oursAge] = await pair(
      () => timeShell('age -d -i "$2" "$1" | gunzip -t', [sealed, identity]),
      () => timeOurs(sealed, identity),
    );
    console.log(line('age -d | gunzip -t (the .age copy)', ageGunzip));
    console.log(line('Lifeboat quick verify of the .age', oursAge, ageGunzip));
    console.log('(target: quick verify at most 1.0x gunzip -t; peak RSS at most 150 MB; the machine is shared, so times are noisy)');
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  benchVerify(process.argv[2]).catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
