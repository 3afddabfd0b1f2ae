// The command line as an npm package of its own, for servers without VS Code:
//   npm install -g ./lifeboat-cli-<version>.tgz      → `lifeboat` on PATH
// It holds dist/cli.js, which bundles everything it requires, and dist/offsiteS3.js (the AWS SDK,
// loaded only for an s3:// destination), so the install
// needs no registry. Run after `node scripts/build.mjs --release`; writes dist/lifeboat-cli-<version>.tgz.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const stage = mkdtempSync(join(tmpdir(), 'lifeboat-cli-pack-'));
try {
  copyFileSync('dist/cli.js', join(stage, 'cli.js'));
  // The AWS SDK, required by cli.js only for an s3:// destination.
  copyFileSync('dist/offsiteS3.js', join(stage, 'offsiteS3.js'));
  chmodSync(join(stage, 'cli.js'), 0o755);
  copyFileSync('LICENSE', join(stage, 'LICENSE'));
  writeFileSync(
    join(stage, 'README.md'),
    `# lifeboat-cli\n\nThe command line of the Lifeboat VS Code extension: backups, verification, cleanup and\nstatus of a Docker Compose stack's PostgreSQL database, config and volumes, for cron on a\nserver. \`lifeboat --help\` lists the commands.\n`,
  );
  writeFileSync(
    join(stage, 'package.json'),
    JSON.stringify(
      {
        name: 'lifeboat-cli',
        version: pkg.version,
        description: pkg.description,
        license: pkg.license,
        bin: { lifeboat: 'cli.js' },
        files: ['cli.js', 'offsiteS3.js'],
        engines: { node: pkg.engines.node },
      },
      null,
      2,
    ) + '\n',
  );
  const out = execFileSync('npm', ['pack', '--silent', '--pack-destination', resolve('dist'), stage], { encoding: 'utf8' });
  console.log(`dist/${out.trim().split('\n').pop()}`);
} finally {
  rmSync(stage, { recursive: true, force: true });
}
