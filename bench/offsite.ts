// Off-site copies to S3-compatible storage: Lifeboat against the runbook's `aws s3 cp`, same
// file, same server (moto_server on 127.0.0.1), same run. Not a test: it prints times, rates and
// peak RSS for the issue notes. Lifeboat's copy also has the server prove what it stored (its
// SHA256 composite checksum against the one computed while sending) and writes a manifest, which
// `aws s3 cp` does not do; both the upload phase and the whole copy are printed.
// Usage: node out/bench/offsite.js   (env: LIFEBOAT_BENCH_OFFSITE_MB, LIFEBOAT_BENCH_ROUNDS)
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { motoServerPath, startMotoS3 } from '../test/support/s3Server';
import { ROUNDS, Sample as TimedSample, benchManifest, bestOf, line as sampleLine, randomFile, run, sha256, timeCli } from './sample';

// The SDK's notice that releases after January 2027 need Node 22 is not about this run.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const MB = Number(process.env.LIFEBOAT_BENCH_OFFSITE_MB ?? 200);
const ONCE = join(__dirname, 'offsiteOnce.js');
const BUCKET = 'bench';

/** One of Lifeboat's copies, with the time its upload phase alone took. */
interface Sample extends TimedSample {
  uploadedMs?: number;
}

async function timeOurs(op: string, endpoint: string, where: string, file: string, name?: string): Promise<Sample> {
  // The bundle turns the SDK's Node 22 notice off; these transpiled files need it said.
  const env = { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
  const { stdout } = await run(process.execPath, [ONCE, op, endpoint, where, file, ...(name ? [name] : [])], { env });
  return JSON.parse(stdout) as Sample;
}

/**
 * ROUNDS rounds of Lifeboat then the CLI, taken in turns: on a shared machine the load changes
 * from minute to minute, and rounds side by side see about the same load.
 */
async function inTurns(ours: (i: number) => Promise<Sample>, cli?: (i: number) => Promise<Sample>): Promise<[Sample[], Sample[]]> {
  const a: Sample[] = [];
  const b: Sample[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    a.push(await ours(i));
    if (cli) b.push(await cli(i));
  }
  return [a, b];
}

const line = (label: string, bytes: number, ms: number, rssKb?: number, reference?: number) =>
  sampleLine(`  ${label}`, bytes, { ms, maxRssKb: rssKb }, 54, reference ? { ms: reference } : undefined);

async function main(): Promise<void> {
  if (!motoServerPath()) throw new Error('moto_server is not installed');
  let aws: string | undefined;
  try {
    aws = (await run('sh', ['-c', 'command -v aws'])).stdout.trim() || undefined;
  } catch {
    aws = undefined;
  }
  const dir = await fs.mkdtemp(join(tmpdir(), 'lifeboat-bench-offsite-'));
  const server = await startMotoS3([BUCKET], false);
  try {
    const name = 'sms_backup_20260301_020000.sql.gz';
    const file = join(dir, name);
    const expected = await randomFile(file, MB);
    const bytes = (await fs.stat(file)).size;
    await benchManifest(file, name, bytes, expected);
    const env = {
      ...process.env,
      AWS_ACCESS_KEY_ID: server.allowed.accessKeyId,
      AWS_SECRET_ACCESS_KEY: server.allowed.secretAccessKey,
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_CONFIG_FILE: '/dev/null',
      AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    };

    console.log(`off-site copy of ${MB} MiB to S3 (moto_server on 127.0.0.1), best of ${ROUNDS}:`);
    // A new prefix each round: the same sha256 already there would be skipped, not sent.
    const url = (p: string) => `s3://${BUCKET}/${p}`;
    const [ups, cliUps] = await inTurns(
      (i) => timeOurs('upload', server.endpoint, `${BUCKET}/lifeboat${i}`, file),
      aws
        ? (i) => timeCli(aws, ['--endpoint-url', server.endpoint, 's3', 'cp', '--quiet', file, url(`cli${i}/database/${name}`)], env)
        : undefined,
    );
    const [downs, cliDowns] = await inTurns(
      () => timeOurs('download', server.endpoint, `${BUCKET}/lifeboat0`, join(dir, name + '.down'), name),
      aws
        ? () =>
            timeCli(
              aws,
              ['--endpoint-url', server.endpoint, 's3', 'cp', '--quiet', url(`lifeboat0/database/${name}`), join(dir, 'cli.down')],
              env,
            )
        : undefined,
    );
    if ((await sha256(join(dir, name + '.down'))) !== expected) throw new Error('the download does not match');
    if (aws && (await sha256(join(dir, 'cli.down'))) !== expected) throw new Error("the CLI's download does not match");
    const up = bestOf(ups);
    const down = bestOf(downs);
    const cliUp = aws ? bestOf(cliUps) : undefined;
    const cliDown = aws ? bestOf(cliDowns) : undefined;
    if (cliUp) console.log(line('aws s3 cp file s3://… (upload only)', bytes, cliUp.ms, cliUp.maxRssKb));
    if (up.uploadedMs)
      console.log(
        line(
          `Lifeboat upload phase (multipart, ${process.env.LIFEBOAT_BENCH_S3_PART_MB ?? 6} MiB parts x ${process.env.LIFEBOAT_BENCH_S3_QUEUE ?? 3})`,
          bytes,
          up.uploadedMs,
          undefined,
          cliUp?.ms,
        ),
      );
    console.log(line('Lifeboat copy: upload, checksum proof, manifest', bytes, up.ms, up.maxRssKb, cliUp?.ms));
    if (cliDown) console.log(line('aws s3 cp s3://… file (download)', bytes, cliDown.ms, cliDown.maxRssKb));
    console.log(line('Lifeboat download (GET, streamed to a file)', bytes, down.ms, down.maxRssKb, cliDown?.ms));
    if (!aws) console.log('  (the AWS CLI is not installed: no comparison)');
    else {
      const ratios = (a: Sample[], b: Sample[]) => a.map((x, i) => `${(x.ms / b[i].ms).toFixed(2)}x`).join(', ');
      console.log(`  round by round, Lifeboat's copy / the CLI's upload: ${ratios(ups, cliUps)}; downloads: ${ratios(downs, cliDowns)}`);
    }
    console.log("  (every copy and download matched the file's sha256; targets: ≤ 1.0x the CLI's time, peak RSS ≤ 150 MiB)");
  } finally {
    await server.stop();
    await fs.rm(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
