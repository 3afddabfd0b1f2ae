// The packaged artifacts as users get them: the .vsix unpacked into an empty temporary folder
// (no node_modules anywhere above it) and the command line installed by the one command the
// README gives. Nothing here may find a module in the checkout.
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { demoStack, REPO, tempDir } from '../integration/harness';
import { noNodeModulesAbove, unpackVsix } from './unpackVsix';

const VSIX = path.resolve(REPO, process.env.LIFEBOAT_VSIX ?? 'dist/lifeboat.vsix');
const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as {
  version: string;
  contributes: { commands: { command: string }[] };
};
const CLI_TGZ = path.join(REPO, 'dist', `lifeboat-cli-${pkg.version}.tgz`);

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** A child process with a clean environment: no NODE_PATH, no NODE_OPTIONS from the test runner. */
function run(file: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Ran> {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, DOCKER_HOST: process.env.DOCKER_HOST, ...opts.env };
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
  return new Promise((resolve) => {
    execFile(file, args, { cwd: opts.cwd, env, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** The end of a child's output: a failed bundle prints its whole minified line first. */
function tail(text: string): string {
  return text.length > 2000 ? `…${text.slice(-2000)}` : text;
}

/** Every non-builtin module a bundle requires by a bare name. */
function bareRequires(bundle: string): string[] {
  const text = fs.readFileSync(bundle, 'utf8');
  const names = new Set<string>();
  for (const m of text.matchAll(/require\("([^"]+)"\)/g)) {
    const name = m[1];
    if (name.startsWith('node:') || name.startsWith('.') || isBuiltin(name)) continue;
    names.add(name);
  }
  return [...names].sort();
}
function isBuiltin(name: string): boolean {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('node:module') as typeof import('node:module')).builtinModules.includes(name);
}

async function projectFolder(): Promise<string> {
  const folder = await tempDir('pkg-project');
  await fs.promises.mkdir(path.join(folder, '.vscode'));
  await fs.promises.writeFile(path.join(folder, '.vscode', 'settings.json'), '{ "lifeboat.composeProject": "sms" }\n');
  return folder;
}

describe('the packaged extension and command line, outside the checkout', function () {
  this.timeout(180_000);
  let root = '';
  let extension = '';
  const cleanup: string[] = [];

  before(async () => {
    assert.ok(fs.existsSync(VSIX), `${VSIX} is missing: run npm run package`);
    ({ root, extension } = unpackVsix(VSIX, 'pkg-test'));
    cleanup.push(root);
    assert.ok(noNodeModulesAbove(extension), `a node_modules folder is above ${extension}: the test would not prove anything`);
    await demoStack();
  });
  after(() => {
    for (const d of cleanup) fs.rmSync(d, { recursive: true, force: true });
  });

  it('ships no node_modules, and its bundles require only Node, vscode and optional native parts', () => {
    assert.equal(fs.existsSync(path.join(extension, 'node_modules')), false);
    // ssh2 loads cpu-features in a try/catch and falls back without it.
    assert.deepEqual(bareRequires(path.join(extension, 'dist', 'extension.js')), ['cpu-features', 'vscode']);
    assert.deepEqual(bareRequires(path.join(extension, 'dist', 'cli.js')), ['cpu-features']);
  });

  it('the AWS SDK ships apart in offsiteS3.js, loads with plain Node, and extension.js requires it only by a relative path', async () => {
    const sdk = path.join(extension, 'dist', 'offsiteS3.js');
    // The SDK names one optional package only in the advice of an error message (for multi-region
    // access points, which Lifeboat does not use); no code requires it.
    assert.deepEqual(bareRequires(sdk), ['@aws-sdk/signature-v4-crt']);
    const text = fs.readFileSync(sdk, 'utf8');
    const crt = 'require("@aws-sdk/signature-v4-crt")';
    assert.equal(text.split(`[${crt};]`).length, text.split(crt).length, 'every mention is inside the message');
    const r = await run(
      process.execPath,
      [
        '-e',
        `const s = require(${JSON.stringify(sdk)}); console.log([typeof s.S3Client, typeof s.Upload, typeof s.fromNodeProviderChain].join())`,
      ],
      { cwd: root },
    );
    assert.equal(r.code, 0, tail(r.stderr));
    assert.equal(r.stdout.trim(), 'function,function,function');
    assert.equal(r.stderr, '', 'no Node version warning from the SDK');
    assert.match(fs.readFileSync(path.join(extension, 'dist', 'extension.js'), 'utf8'), /require\("\.\/offsiteS3\.js"\)/);
  });

  it('cli.js --version runs with plain Node', async () => {
    const r = await run(process.execPath, [path.join(extension, 'dist', 'cli.js'), '--version'], { cwd: root });
    assert.equal(r.code, 0, tail(r.stderr));
    assert.equal(r.stdout.trim(), `lifeboat ${pkg.version}`);
  });

  it('cli.js backs up the demo database and reports it in status', async () => {
    const folder = await projectFolder();
    cleanup.push(folder);
    const cli = path.join(extension, 'dist', 'cli.js');
    const backup = await run(process.execPath, [cli, 'backup', 'database', '--folder', folder], { cwd: root });
    assert.equal(backup.code, 0, tail(backup.stderr));
    const status = await run(process.execPath, [cli, 'status', '--json', '--folder', folder], { cwd: root });
    assert.equal(status.code, 0, status.stdout + status.stderr);
    const report = JSON.parse(status.stdout) as Record<string, unknown>;
    assert.match(JSON.stringify(report), /sms_backup_\d{8}_\d{6}\.sql\.gz/);
  });

  it('extension.js activates under plain Node with a stand-in vscode module and registers every contributed command', async () => {
    // The loader scripts run from the temporary folder, beside the package.
    for (const f of ['stubVscode.js', 'activatePackaged.js']) {
      fs.copyFileSync(path.join(REPO, 'test', 'package', f), path.join(root, f));
    }
    const r = await run(process.execPath, ['-r', './stubVscode.js', './activatePackaged.js', extension], { cwd: root });
    assert.equal(r.code, 0, tail(r.stderr));
    const got = JSON.parse(r.stdout) as { commands: string[]; api: string[]; subscriptions: number };
    const contributed = pkg.contributes.commands.map((c) => c.command).sort();
    assert.deepEqual([...new Set(got.commands)].sort(), contributed);
    assert.ok(got.api.includes('tree') && got.api.includes('lastError'), got.api.join(','));
    assert.ok(got.subscriptions > 0);
  });

  it("the README's install command for servers puts a working `lifeboat` on PATH", async () => {
    assert.ok(fs.existsSync(CLI_TGZ), `${CLI_TGZ} is missing: run npm run package`);
    const readme = fs.readFileSync(path.join(REPO, 'README.md'), 'utf8');
    const command = `npm install -g ./lifeboat-cli-${pkg.version}.tgz`;
    assert.ok(readme.includes(command), `README does not give "${command}"`);
    // The exact command, run where the tarball was copied to, into a private global prefix.
    const server = await tempDir('pkg-server');
    cleanup.push(server);
    fs.copyFileSync(CLI_TGZ, path.join(server, path.basename(CLI_TGZ)));
    const prefix = path.join(server, 'global');
    const [npm, ...args] = command.split(' ');
    const install = await run(npm, [...args, '--no-audit', '--no-fund', '--offline'], {
      cwd: server,
      env: { npm_config_prefix: prefix, npm_config_cache: path.join(server, 'npm-cache') },
    });
    assert.equal(install.code, 0, tail(install.stderr));
    const bin = path.join(prefix, 'bin', 'lifeboat');
    const version = await run(bin, ['--version'], { cwd: server });
    assert.equal(version.code, 0, tail(version.stderr));
    assert.equal(version.stdout.trim(), `lifeboat ${pkg.version}`);
    const folder = await projectFolder();
    cleanup.push(folder);
    const status = await run(bin, ['status', '--folder', folder], { cwd: server });
    // An empty backup folder needs attention (exit 1): what matters is a report from the stack, not a crash.
    assert.ok(status.code === 0 || status.code === 1, `exit ${status.code}: ${status.stderr}`);
    assert.match(status.stdout, /Backup status/);
  });
});
