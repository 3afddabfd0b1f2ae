// Bundles the extension (and, with --tests, transpiles tests and benchmarks file by file).
// Type checking is separate: `npm run typecheck`.
import { build } from 'esbuild';
import { chmodSync, readdirSync, statSync, rmSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const release = process.argv.includes('--release');
const tests = process.argv.includes('--tests');
// A separate output folder lets a benchmark run while tests rebuild `out/`.
const outdir = process.env.LIFEBOAT_OUT || 'out';
const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
// The command line reads settings.json itself, so it needs the defaults VS Code takes from
// here, and both check values against the schema, which VS Code only shows as warnings.
// Descriptions stay out: they are for the Settings editor.
const SCHEMA_KEYWORDS = [
  'type',
  'default',
  'enum',
  'minimum',
  'maximum',
  'items',
  'properties',
  'additionalProperties',
  'pattern',
  'patternErrorMessage',
];
function schemaOf(spec) {
  const out = {};
  for (const k of SCHEMA_KEYWORDS) {
    if (!(k in spec)) continue;
    if (k === 'items') out.items = schemaOf(spec.items);
    else if (k === 'properties')
      out.properties = Object.fromEntries(Object.entries(spec.properties).map(([name, p]) => [name, schemaOf(p)]));
    else out[k] = spec[k];
  }
  return out;
}
const settingSchema = Object.fromEntries(
  Object.entries(pkg.contributes.configuration.properties).map(([key, spec]) => [key, schemaOf(spec)]),
);
const define = {
  LIFEBOAT_VERSION: JSON.stringify(pkg.version),
  LIFEBOAT_SETTING_SCHEMA: JSON.stringify(settingSchema),
};

// Everything a require() in dist/*.js needs is inside the bundle: the .vsix ships no
// node_modules, and an installed extension must not depend on a checkout's. Two optional native
// parts stay out: ssh2 loads cpu-features and its sshcrypto binding in try/catch and falls back
// to Node's own crypto when they are missing.
const external = ['cpu-features', './crypto/build/Release/sshcrypto.node'];

// dockerode's image-build support (BuildKit sessions over gRPC, protobuf progress) is never
// used by Lifeboat, which never builds images; leaving it out keeps gRPC out of the bundle.
const withoutImageBuilds = {
  name: 'without-image-builds',
  setup(b) {
    b.onResolve({ filter: /^\.\/(session|buildkit)$/ }, (args) =>
      /[\\/]dockerode[\\/]lib$/.test(args.resolveDir) ? { path: args.path, namespace: 'no-image-builds' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'no-image-builds' }, () => ({
      contents:
        "module.exports = function () { throw new Error('Lifeboat does not include dockerode\\'s image-build support'); };" +
        'module.exports.followProgress = module.exports;',
      loader: 'js',
    }));
  },
};

// The AWS SDK (about 650 KB minified) goes into a file of its own, dist/offsiteS3.js, required
// only when an S3 destination is used: activation does not parse it. Only src/core/offsite/s3Sdk.ts
// (the SDK's re-exports) is split off, so Lifeboat's own classes exist once.
const sdkApart = {
  name: 'sdk-apart',
  setup(b) {
    b.onResolve({ filter: /^\.\/s3Sdk$/ }, (args) =>
      /[\\/]src[\\/]core[\\/]offsite$/.test(args.resolveDir) ? { path: './offsiteS3.js', external: true } : undefined,
    );
  },
};

// jsonc-parser's "main" is a UMD build whose require() calls esbuild cannot follow (the bundle
// would then look for ./impl/format at run time); its ES module build bundles whole.
const alias = { 'jsonc-parser': 'jsonc-parser/lib/esm/main.js' };

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
  external: ['vscode', ...external],
  alias,
  plugins: [withoutImageBuilds, sdkApart],
  sourcemap: !release,
  minify: release,
  define,
  logLevel: 'warning',
});

// The command line for hosts without VS Code: the same src/core, no vscode module.
await build({
  entryPoints: ['src/cli/main.ts'],
  bundle: true,
  outfile: 'dist/cli.js',
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  external,
  alias,
  plugins: [withoutImageBuilds, sdkApart],
  banner: { js: '#!/usr/bin/env node' },
  sourcemap: !release,
  minify: release,
  define,
  logLevel: 'warning',
});
chmodSync('dist/cli.js', 0o755);

await build({
  entryPoints: ['src/core/offsite/s3Sdk.ts'],
  bundle: true,
  outfile: 'dist/offsiteS3.js',
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: !release,
  minify: release,
  // The SDK warns on every start that its releases after January 2027 need Node 22; the version
  // bundled here is fixed, so the warning would only be noise in the log and in cron mail.
  define: { 'process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED': '"true"' },
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
