// One Lifeboat database backup in a process of its own, so its peak RSS is measured alone.
// Usage: node out/bench/backupOnce.js <container> <backupDir> <level>
import { backupDatabase } from '../src/core/database';
import { connectDocker } from '../src/core/docker';
import { discoverStack } from '../src/core/stack';

async function main(): Promise<void> {
  const [container, backupDir, level] = process.argv.slice(2);
  const docker = connectDocker();
  const stack = await discoverStack(docker, { dbContainer: container });
  const started = process.hrtime.bigint();
  const result = await backupDatabase(docker, stack, { backupDir, level: Number(level) });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  // maxRSS is in kilobytes.
  process.stdout.write(
    JSON.stringify({
      ms,
      path: result.path,
      bytes: result.manifest.file.bytes,
      sqlBytes: result.manifest.content?.bytes,
      maxRssKb: process.resourceUsage().maxRSS,
    }) + '\n',
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
