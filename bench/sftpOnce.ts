// One Lifeboat SFTP transfer in a process of its own, so its peak RSS is measured alone.
// Usage: node sftpOnce.js <copy|upload|download> <sftp://…> <file> <identityFile> [remote name]
//   copy: copyOffsite (upload, read back and checked, renamed, manifest); upload: the data only,
//   as scp sends it; download: the remote `database/<remote name>` back into <file>.
import { createReadStream, createWriteStream } from 'node:fs';
import { basename } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { copyOffsite, parseDestination } from '../src/core/offsite';

async function main(): Promise<void> {
  const [op, url, file, identityFile, remoteName] = process.argv.slice(2);
  const destination = parseDestination(url, { sftp: { identityFile } })!;
  const remote = `database/${remoteName ?? basename(file)}`;
  const started = process.hrtime.bigint();
  if (op === 'copy') {
    await copyOffsite(file, destination, { requireEncryption: false });
  } else if (op === 'upload') {
    const pending = await destination.write(remote);
    await pipeline(createReadStream(file, { highWaterMark: 1 << 16 }), pending.stream);
    await pending.commit();
  } else if (op === 'download') {
    await pipeline(await destination.read(remote), createWriteStream(file));
  } else {
    throw new Error(`unknown operation ${op}`);
  }
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  // maxRSS is in kilobytes.
  process.stdout.write(JSON.stringify({ ms, maxRssKb: process.resourceUsage().maxRSS }) + '\n');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
