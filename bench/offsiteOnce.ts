// One Lifeboat off-site transfer in a process of its own, so its peak RSS is measured alone.
// Usage: node out/bench/offsiteOnce.js <upload|download> <endpoint> <bucket/prefix> <file> [name]
//   upload: copyOffsite of <file> (multipart upload to the final key, the server's checksum checked, manifest);
//   download: database/<name> read from the destination into <file>.
import { createWriteStream } from 'node:fs';
import { basename } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { copyOffsite, parseDestination } from '../src/core/offsite';

async function main(): Promise<void> {
  const [op, endpoint, where, file, name] = process.argv.slice(2);
  const destination = parseDestination(`s3://${where}`, {
    s3: {
      endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: 'AKIALIFEBOATBENCH000', secretAccessKey: 'bench' },
      // To try other part sizes and queue depths than the defaults; unset, the defaults are measured.
      partSize: process.env.LIFEBOAT_BENCH_S3_PART_MB ? Number(process.env.LIFEBOAT_BENCH_S3_PART_MB) * 1024 * 1024 : undefined,
      queueSize: process.env.LIFEBOAT_BENCH_S3_QUEUE ? Number(process.env.LIFEBOAT_BENCH_S3_QUEUE) : undefined,
    },
  })!;
  const started = process.hrtime.bigint();
  const at = () => Number(process.hrtime.bigint() - started) / 1e6;
  let uploadedMs: number | undefined;
  if (op === 'upload') {
    await copyOffsite(file, destination, {
      requireEncryption: false,
      progress: (p) => {
        if (uploadedMs === undefined && p.phase.startsWith('Checking')) uploadedMs = at();
      },
    });
  } else {
    await pipeline(await destination.read(`database/${name ?? basename(file)}`), createWriteStream(file));
  }
  const ms = at();
  await destination.close?.();
  // maxRSS is in kilobytes.
  process.stdout.write(JSON.stringify({ ms, uploadedMs, maxRssKb: process.resourceUsage().maxRSS }) + '\n');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
