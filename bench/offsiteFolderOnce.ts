// One Lifeboat off-site copy or pull in a process of its own, so its peak RSS is measured alone.
// Usage: node out/bench/offsiteFolderOnce.js <copy|pull> <backup file | remote path> <destination folder> [backup folder]
import { FolderDestination, copyOffsite, fetchOffsite } from '../src/core/offsite';

async function main(): Promise<void> {
  const [op, what, nas, backupDir] = process.argv.slice(2);
  const destination = new FolderDestination(nas);
  const started = process.hrtime.bigint();
  if (op === 'copy') await copyOffsite(what, destination, { requireEncryption: false });
  else if (op === 'pull') await fetchOffsite(destination, what, backupDir);
  else throw new Error(`unknown operation ${op}`);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  // maxRSS is in kilobytes.
  process.stdout.write(JSON.stringify({ ms, maxRssKb: process.resourceUsage().maxRSS }) + '\n');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
