// One quick verification in a process of its own, so its peak RSS is measured alone.
// Usage: node out/bench/verifyOnce.js <backup> [age identity file, for a .age backup]
import { promises as fs } from 'node:fs';
import { parseAgeIdentityFile } from '../src/core/crypto';
import { verifyBackup } from '../src/core/verify';

async function main(): Promise<void> {
  const [file, identityFile] = process.argv.slice(2);
  const identities = identityFile ? parseAgeIdentityFile(await fs.readFile(identityFile, 'utf8')) : undefined;
  const started = process.hrtime.bigint();
  const r = await verifyBackup(file, { depth: 'quick', keys: identities ? { key: async () => ({ identities }) } : undefined });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (!r.ok) throw new Error(`verification failed: ${r.problem}`);
  // maxRSS is in kilobytes.
  process.stdout.write(JSON.stringify({ ms, maxRssKb: process.resourceUsage().maxRSS, checks: r.checks }) + '\n');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
