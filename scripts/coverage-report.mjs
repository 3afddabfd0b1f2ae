// Coverage of src/core and src/cli over what the unit and integration steps ran (c8 collects
// into coverage/tmp while they run; scripts/test-all.sh empties it first). Prints the totals
// and the files with the fewest branches covered; writes coverage/coverage-summary.json.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';

if (!existsSync('coverage/tmp')) {
  console.error('coverage/tmp is empty: run npm run test:unit and/or npm run test:integration first');
  process.exit(1);
}
execFileSync(
  'npx',
  ['c8', 'report', '--temp-directory', 'coverage/tmp', '--report-dir', 'coverage', '--reporter=text-summary', '--reporter=json-summary',
    '--include', 'src/core/**', '--include', 'src/cli/**', '--exclude-after-remap'],
  { stdio: 'inherit' },
);
const summary = JSON.parse(readFileSync('coverage/coverage-summary.json', 'utf8'));
const files = Object.entries(summary)
  .filter(([name]) => name !== 'total')
  .map(([name, s]) => ({ name: relative(process.cwd(), name), branches: s.branches.pct, statements: s.statements.pct }))
  .sort((a, b) => a.branches - b.branches);
console.log('Fewest branches covered:');
for (const f of files.slice(0, 12)) console.log(`  ${String(f.branches).padStart(6)}% branches  ${String(f.statements).padStart(6)}% statements  ${f.name}`);
