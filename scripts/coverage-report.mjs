// Coverage of src/core and src/cli over what the unit and integration steps ran (c8 collects
// into coverage/tmp while they run; scripts/test-all.sh empties it first). Prints the totals,
// the files with the fewest branches covered, and every uncovered branch of src/core with its
// reason (test/coverage-reasons/*.json); writes coverage/coverage-summary.json and
// coverage/coverage-final.json. Fails when src/core's branches are below the target.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { BRANCH_FLOOR, BRANCH_TARGET, CORE, REASONS_DIR, uncoveredBranches } from './uncovered-branches.mjs';

if (!existsSync('coverage/tmp')) {
  console.error('coverage/tmp is empty: run npm run test:unit and/or npm run test:integration first');
  process.exit(1);
}
execFileSync(
  'npx',
  [
    'c8',
    'report',
    '--temp-directory',
    'coverage/tmp',
    '--report-dir',
    'coverage',
    '--reporter=text-summary',
    '--reporter=json-summary',
    '--reporter=json',
    '--include',
    'src/core/**',
    '--include',
    'src/cli/**',
    '--exclude-after-remap',
  ],
  { stdio: 'inherit' },
);
const summary = JSON.parse(readFileSync('coverage/coverage-summary.json', 'utf8'));
const files = Object.entries(summary)
  .filter(([name]) => name !== 'total')
  .map(([name, s]) => ({ name: relative(process.cwd(), name), branches: s.branches.pct, statements: s.statements.pct }))
  .sort((a, b) => a.branches - b.branches);
console.log('Fewest branches covered:');
for (const f of files.slice(0, 12))
  console.log(`  ${String(f.branches).padStart(6)}% branches  ${String(f.statements).padStart(6)}% statements  ${f.name}`);

const core = uncoveredBranches();
console.log(`Uncovered branches of ${CORE} (file:line, source, reason from ${REASONS_DIR}):`);
for (const r of core.rows) {
  console.log(`  ${r.file}:${r.line}${r.count > 1 ? ` (${r.count} branches)` : ''}  ${r.text}`);
  console.log(`      ${r.reason ?? 'no reason recorded'}`);
}
for (const r of core.stale) console.log(`Stale reason in ${REASONS_DIR}/${r.from}: no uncovered branch on "${r.line}" in ${r.file}.`);
const without = core.rows.filter((r) => !r.reason).length;
console.log(
  `${CORE} branches: ${core.pct}% (${core.covered}/${core.total}); ${core.rows.length} lines with uncovered branches, ${without} without a reason.`,
);
if (core.pct < BRANCH_TARGET)
  console.log(
    `${CORE} branch coverage is ${core.pct}%, ${(BRANCH_TARGET - core.pct).toFixed(2)} points below the target of ${BRANCH_TARGET}%.`,
  );
if (core.pct < BRANCH_FLOOR) {
  console.error(`${CORE} branch coverage fell to ${core.pct}%, below the floor of ${BRANCH_FLOOR}% the suite had reached.`);
  process.exit(1);
}
