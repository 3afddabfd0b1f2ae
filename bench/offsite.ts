// Off-site copies to S3-compatible storage: Lifeboat against the runbook's `aws s3 cp`, same
// file, same server (moto_server on 127.0.0.1), same run. Not a test: it prints times, rates and
// peak RSS for the issue notes. Lifeboat's upload also reads the copy back and puts it in place
// on the server, which `aws s3 cp` does not do; both figures are printed.
// Usage: node out/bench/offsite.js   (env: LIFEBOAT_BENCH_OFFSITE_MB, LIFEBOAT_BENCH_ROUNDS)
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { motoServerPath, startMotoS3 } from '../test/support/s3Server';
import { ROUNDS, Sample, benchManifest, best, line as sampleLine, randomFile, run, sha256, timeCli } from './sample';

// The SDK's notice that releases after January 2027 need Node 22 is not about this run.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const MB = Number(process.env.LIFEBOAT_BENCH_OFFSITE_MB ?? 200);
const ONCE = join(__dirname, 'offsiteOnce.js');
const BUCKET = 'bench';

/** Lifeboat's copy also says how long its upload phase took, before the read-back. */
interface CopySample extends Sample {
  uploadedMs?: number;
}

async function timeOurs(op: string, endpoint: string, where: string, file: string, name?: string): Promise<CopySample> {
  // The bundle turns the SDK's Node 22 notice off; these transpiled files need it said.
  const env = { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
  const { stdout } = await run(process.execPath, [ONCE, op, endpoint, where, file, ...(name ? [name] : [])], { env });
  return JSON.parse(stdout) as CopySample;
}

const line = (label: string, bytes: number, s: Sample, reference?: Sample) => sampleLine(`  ${label}`, bytes, s, 54, reference);

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
    const up = await best((i) => timeOurs('upload', server.endpoint, `${BUCKET}/lifeboat${i}`, file));
    const down = await best(() => timeOurs('download', server.endpoint, `${BUCKET}/lifeboat0`, join(dir, name + '.down'), name));
    if ((await sha256(join(dir, name + '.down'))) !== expected) throw new Error('the download does not match');
    let cliUp: Sample | undefined;
    let cliDown: Sample | undefined;
    if (aws) {
      const url = (p: string) => `s3://${BUCKET}/${p}`;
      cliUp = await best((i) =>
        timeCli(aws, ['--endpoint-url', server.endpoint, 's3', 'cp', '--quiet', file, url(`cli${i}/database/${name}`)], env),
      );
      cliDown = await best(() =>
        timeCli(
          aws,
          ['--endpoint-url', server.endpoint, 's3', 'cp', '--quiet', url(`lifeboat0/database/${name}`), join(dir, 'cli.down')],
          env,
        ),
      );
      if ((await sha256(join(dir, 'cli.down'))) !== expected) throw new Error("the CLI's download does not match");
    }
    if (cliUp) console.log(line('aws s3 cp file s3://… (upload only)', bytes, cliUp));
    if (up.uploadedMs)
      console.log(
        line(
          `Lifeboat upload phase (multipart, ${process.env.LIFEBOAT_BENCH_S3_PART_MB ?? 8} MiB parts x ${process.env.LIFEBOAT_BENCH_S3_QUEUE ?? 3})`,
          bytes,
          { ms: up.uploadedMs },
          cliUp,
        ),
      );
    console.log(line('Lifeboat copy: upload, read back, put in place, manifest', bytes, up, cliUp));
    if (cliDown) console.log(line('aws s3 cp s3://… file (download)', bytes, cliDown));
    console.log(line('Lifeboat download (GET, streamed to a file)', bytes, down, cliDown));
    if (!aws) console.log('  (the AWS CLI is not installed: no comparison)');
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
