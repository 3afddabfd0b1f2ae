// Bundles the extension (and, with --tests, transpiles tests and benchmarks file by file).
// Type checking is separate: `npm run typecheck`.
import { build } from 'esbuild';
import { readdirSync, statSync, rmSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const release = process.argv.includes('--release');
const tests = process.argv.includes('--tests');
// A separate output folder lets a benchmark run while tests rebuild `out/`.
const outdir = process.env.LIFEBOAT_OUT || 'out';
const version = JSON.parse(readFileSync('package.json', 'utf8')).version;
const define = { LIFEBOAT_VERSION: JSON.stringify(version) };

function tsFiles(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...tsFiles(p));
    else if (p.endsWith('.ts')) out.push(p);
  }
  return out;
}

await build({
  entryPoints: ['src/extension/extension.ts'],
  bundle: true,
  outfile: 'dist/extension.js',
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  external: ['vscode', 'cpu-features', 'ssh2'],
  sourcemap: !release,
  minify: release,
  define,
  logLevel: 'warning',
});

if (tests) {
  rmSync(outdir, { recursive: true, force: true });
  await build({
    entryPoints: [...tsFiles('src'), ...tsFiles('test'), ...tsFiles('bench')],
    outdir,
    outbase: '.',
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: 'inline',
    define,
    logLevel: 'warning',
  });
}
