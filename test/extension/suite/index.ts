// Entry point VS Code loads inside the extension host (extensionTestsPath). Runs mocha (bdd:
// describe/it) over every *.test.js next to this file (out/test/extension/suite/, recursively).
//
// Output: the extension host's process.stdout does not reach the runner. Its console does:
// console.log/error are forwarded to the workbench, which (when running tests) hands them to
// window.codeAutomationLog, which the runner prints. mocha's spec reporter writes through
// console.log, and every failure is printed again in a summary at the end.
//
// Config for suites: see ./config.ts (readTestConfig()).
import * as fs from 'node:fs';
import * as path from 'node:path';
// mocha 12 is an ES module whose index re-exports lib/mocha.cjs; load the CommonJS build
// directly (no require(esm) needed in whichever Node runs the extension host).
const Mocha = loadMocha();

function loadMocha(): typeof import('mocha') {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('mocha/lib/mocha.cjs') as typeof import('mocha');
  } catch {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const m = require('mocha') as { default?: typeof import('mocha') } & typeof import('mocha');
    return m.default ?? m;
  }
}

function findTests(dir: string): string[] {
  const out: string[] = [];
  for (const name of fs.readdirSync(dir).sort()) {
    const p = path.join(dir, name);
    if (fs.statSync(p).isDirectory()) out.push(...findTests(p));
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

export function run(): Promise<void> {
  const grep = process.env.LIFEBOAT_TEST_GREP ?? readGrep();
  const mocha = new Mocha({
    ui: 'bdd',
    color: false,
    timeout: 60_000,
    reporter: 'spec',
    ...(grep ? { grep } : {}),
  });
  const files = findTests(__dirname);
  for (const f of files) mocha.addFile(f);
  console.log(`[suite] ${files.length} test file(s): ${files.map((f) => path.relative(__dirname, f)).join(', ')}`);

  return new Promise<void>((resolve, reject) => {
    const failures: { title: string; err: Error }[] = [];
    try {
      const runner = mocha.run((count) => {
        for (const f of failures) {
          console.error(`[suite] FAILED: ${f.title}\n${f.err?.stack ?? String(f.err)}`);
        }
        console.log(`[suite] done: ${count} failure(s)`);
        if (count > 0) reject(new Error(`${count} test(s) failed`));
        else resolve();
      });
      runner.on('fail', (test, err: Error) => failures.push({ title: test.fullTitle(), err }));
    } catch (err) {
      console.error(err);
      reject(err);
    }
  });
}

function readGrep(): string | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { readTestConfig } = require('./config') as typeof import('./config');
    return readTestConfig().grep;
  } catch {
    return undefined;
  }
}
