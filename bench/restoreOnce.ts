// One Lifeboat restore dry run (check, load into a scratch database, compare row counts) in a
// process of its own, so its peak RSS is measured alone. The swap is declined: the shell
// pipeline it is compared with has no swap either.
// Usage: node out/bench/restoreOnce.js <container> <backupDir> <file> [direct|exec]
import { restoreDatabase } from '../src/core/database';
import { connectDocker } from '../src/core/docker';
import { discoverStack } from '../src/core/stack';

async function main(): Promise<void> {
  const [container, backupDir, file, transport] = process.argv.slice(2);
  const docker = connectDocker();
  const stack = await discoverStack(docker, { dbContainer: container });
  const started = process.hrtime.bigint();
  let ms = 0;
  let via = '';
  const result = await restoreDatabase(docker, stack, {
    file,
    backupDir,
    transport: transport === 'exec' ? 'exec' : 'direct',
    confirm: async (summary) => {
      ms = Number(process.hrtime.bigint() - started) / 1e6;
      via = summary.loadedVia ?? '';
      return false;
    },
  });
  process.stdout.write(JSON.stringify({ ms, via, status: result.status, maxRssKb: process.resourceUsage().maxRSS }) + '\n');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
