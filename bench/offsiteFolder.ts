// Off-site copies to a folder destination: Lifeboat against the shell's way of doing the same
// work, same file, same run. A copy that counts is written and read back for its sha256, so the
// shell side is `cp` then `sha256sum` of the copy (the runbook's `aws s3 cp`, for a mounted disk);
// the way back is `cp` then `sha256sum`, as one would check a download against a manifest.
// Not a test: it prints times, ratios and peak RSS for the issue notes.
// Standalone: node out/bench/offsiteFolder.js   (LIFEBOAT_BENCH_OFFSITE_MB, default 256)
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROUNDS, Sample, benchManifest, bestOf, line as sampleLine, randomFile, run } from './sample';

const MB = Number(process.env.LIFEBOAT_BENCH_OFFSITE_MB ?? 256);
const ONCE = join(__dirname, 'offsiteFolderOnce.js');
const NAME = 'sms_backup_20260101_020000.sql.gz';

async function shell(script: string, ...args: string[]): Promise<Sample> {
  const started = process.hrtime.bigint();
  await run('bash', ['-o', 'pipefail', '-c', script, 'bench', ...args], { maxBuffer: 1 << 20 });
  return { ms: Number(process.hrtime.bigint() - started) / 1e6 };
}

async function ours(...args: string[]): Promise<Sample> {
  const { stdout } = await run(process.execPath, [ONCE, ...args]);
  return JSON.parse(stdout) as Sample;
}

const line = (label: string, s: Sample, reference?: Sample) => sampleLine(label, MB << 20, s, 40, reference, "the shell's");

async function main(): Promise<void> {
  const dir = await fs.mkdtemp(join(tmpdir(), 'lifeboat-bench-offsite-'));
  try {
    const local = join(dir, 'backups', 'database');
    await fs.mkdir(local, { recursive: true });
    const file = join(local, NAME);
    // Random bytes: a gzip file does not compress further, and neither side can shortcut it.
    await benchManifest(file, NAME, MB << 20, await randomFile(file, MB));
    console.log(`off-site copies to a folder: ${MB} MiB, best of ${ROUNDS} rounds (same disk, so both sides pay the same I/O)`);
    const results: Record<string, Sample[]> = { shellCopy: [], oursCopy: [], shellPull: [], oursPull: [] };
    for (let i = 0; i < ROUNDS; i++) {
      const nasShell = join(dir, `nas-shell-${i}`);
      const nasOurs = join(dir, `nas-ours-${i}`);
      const back = join(dir, `back-${i}`);
      await fs.mkdir(join(nasShell, 'database'), { recursive: true });
      await fs.mkdir(nasOurs);
      results.shellCopy.push(
        await shell(
          'cp "$1" "$2/" && sync "$2/$(basename "$1")" && sha256sum "$2/$(basename "$1")" >/dev/null',
          file,
          join(nasShell, 'database'),
        ),
      );
      results.oursCopy.push(await ours('copy', file, nasOurs));
      await fs.mkdir(join(back, 'shell'), { recursive: true });
      results.shellPull.push(
        await shell(
          'cp "$1" "$2/" && sync "$2/$(basename "$1")" && sha256sum "$2/$(basename "$1")" >/dev/null',
          join(nasShell, 'database', NAME),
          join(back, 'shell'),
        ),
      );
      results.oursPull.push(await ours('pull', `database/${NAME}`, nasOurs, join(back, 'ours')));
      await fs.rm(nasShell, { recursive: true });
      await fs.rm(nasOurs, { recursive: true });
      await fs.rm(back, { recursive: true });
    }
    const shellCopy = bestOf(results.shellCopy);
    const shellPull = bestOf(results.shellPull);
    console.log(line('shell: cp + sync + sha256sum (copy)', shellCopy));
    console.log(line('Lifeboat: Copy Off-site', bestOf(results.oursCopy), shellCopy));
    console.log(line('shell: cp + sync + sha256sum (back)', shellPull));
    console.log(line('Lifeboat: offsite pull', bestOf(results.oursPull), shellPull));
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
