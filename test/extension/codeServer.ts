// Shared helpers for the extension-host test runner (run.ts), the UI flow (ui-flow.ts) and
// anything else that needs a real VS Code: start code-server through
// scripts/vscode/code-server.sh, pick a port, launch Chromium with Playwright, build workbench
// URLs. Runs under the machine's Node (20+); code-server itself runs under the Node 24 that
// scripts/vscode/install-code-server.sh installs.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

/** The repository root: the nearest folder above this file whose package.json is Lifeboat's. */
export function repoRoot(): string {
  let dir = __dirname;
  for (;;) {
    const pj = path.join(dir, 'package.json');
    if (fs.existsSync(pj) && JSON.parse(fs.readFileSync(pj, 'utf8')).name === 'lifeboat') return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`package.json of lifeboat not found above ${__dirname}`);
    dir = up;
  }
}

export interface CodeServerPaths {
  node24: string;
  entry: string;
}

/** Installs code-server if needed (cold: ~3 min) and returns the paths. */
export function installCodeServer(): CodeServerPaths {
  const out = execFileSync('bash', [path.join(repoRoot(), 'scripts/vscode/install-code-server.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const get = (k: string): string => {
    const m = new RegExp(`^${k}=(.*)$`, 'm').exec(out);
    if (!m) throw new Error(`install-code-server.sh printed no ${k}`);
    return m[1].replace(/\\(.)/g, '$1'); // undo printf %q for ordinary paths
  };
  return { node24: get('NODE24'), entry: get('CODE_SERVER_ENTRY') };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export interface StartOptions {
  /** Default: a free port. */
  port?: number;
  /**
   * HOME, XDG_*, user data and extensions live here. Default: a fresh folder under the system
   * temp folder, outside the checkout, so an installed extension cannot borrow its node_modules.
   */
  stateDir?: string;
  /** Delete stateDir first (default true when stateDir is not given). */
  fresh?: boolean;
  /** --vscode-option enable-smoke-test-driver: needed for extensionDevelopmentPath/extensionTestsPath payloads. */
  testMode?: boolean;
  /** A .vsix to install into the extensions dir first. */
  vsix?: string;
  /** Extra environment for code-server (and so for the extension host). */
  env?: NodeJS.ProcessEnv;
  /** Also print code-server's own log lines (default: only to the log file). */
  verbose?: boolean;
  /** Milliseconds to wait for /healthz (default 90 s). */
  timeoutMs?: number;
}

export interface CodeServer {
  port: number;
  url: string; // http://127.0.0.1:PORT
  stateDir: string;
  logFile: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

export async function startCodeServer(opts: StartOptions = {}): Promise<CodeServer> {
  const repo = repoRoot();
  installCodeServer();
  const port = opts.port ?? (await freePort());
  const stateDir = opts.stateDir ?? path.join(os.tmpdir(), `lifeboat-vscode-${process.pid}-${Date.now().toString(36)}`);
  const fresh = opts.fresh ?? opts.stateDir === undefined;
  if (fresh) fs.rmSync(stateDir, { recursive: true, force: true });
  fs.mkdirSync(stateDir, { recursive: true });
  const logFile = path.join(stateDir, 'code-server.log');
  const log = fs.openSync(logFile, 'a');
  const args = [path.join(repo, 'scripts/vscode/code-server.sh'), '--port', String(port), '--state-dir', stateDir];
  if (opts.testMode) args.push('--test-mode');
  if (opts.vsix) args.push('--install-extension', opts.vsix);
  args.push('--', '--ignore-last-opened');
  const child = spawn('bash', args, {
    cwd: repo,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // own process group: stop() kills code-server and everything it started
  });
  let exited = false;
  child.on('exit', () => (exited = true));
  const url = `http://127.0.0.1:${port}`;
  let tail = '';
  const onData = (buf: Buffer): void => {
    const s = buf.toString();
    tail = (tail + s).slice(-4000);
    fs.writeSync(log, s);
    if (opts.verbose) process.stderr.write(s);
  };
  child.stderr!.on('data', onData);

  const stop = async (): Promise<void> => {
    if (exited) return;
    const gone = new Promise<void>((r) => child.once('exit', () => r()));
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      /* already gone */
    }
    const t = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
    }, 5000);
    await gone;
    clearTimeout(t);
    // Stragglers in the group (the extension host may outlive the server briefly).
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      /* none left */
    }
  };

  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`code-server did not become ready in ${opts.timeoutMs ?? 90_000} ms; log: ${logFile}\n${tail}`));
    }, opts.timeoutMs ?? 90_000);
    child.stdout!.on('data', (buf: Buffer) => {
      onData(buf);
      if (buf.toString().includes('CODE_SERVER_READY')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`code-server exited with ${code} before it was ready; log: ${logFile}\n${tail}`));
    });
  });
  return { port, url, stateDir, logFile, process: child, stop };
}

/** `vscode-remote://127.0.0.1:PORT/abs/path`: how the web workbench names a server-side path. */
export function remoteUri(port: number, absPath: string): string {
  return `vscode-remote://127.0.0.1:${port}${absPath.split(path.sep).map(encodeURIComponent).join('/')}`;
}

export interface WorkbenchUrlOptions {
  folder: string;
  extensionDevelopmentPath?: string;
  extensionTestsPath?: string;
}

/** `http://127.0.0.1:PORT/?folder=...&payload=...` */
export function workbenchUrl(port: number, o: WorkbenchUrlOptions): string {
  const payload: [string, string][] = [];
  if (o.extensionDevelopmentPath) payload.push(['extensionDevelopmentPath', remoteUri(port, o.extensionDevelopmentPath)]);
  if (o.extensionTestsPath) payload.push(['extensionTestsPath', remoteUri(port, o.extensionTestsPath)]);
  let url = `http://127.0.0.1:${port}/?folder=${encodeURIComponent(o.folder)}`;
  if (payload.length) url += `&payload=${encodeURIComponent(JSON.stringify(payload))}`;
  return url;
}

export const CHROMIUM = process.env.LIFEBOAT_CHROMIUM ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Chromium with a fresh profile (deleted by close()). */
export async function launchBrowser(viewport = { width: 1440, height: 900 }) {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { chromium } = require('playwright-core') as typeof import('playwright-core');
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport,
  });
  const close = async (): Promise<void> => {
    await context.close().catch(() => undefined);
    fs.rmSync(profile, { recursive: true, force: true });
  };
  return { context, profile, close };
}

/** The workspace folder to open: $LIFEBOAT_TEST_WORKSPACE, else <repo>/demo, else a temp folder. */
export function defaultWorkspace(): string {
  const env = process.env.LIFEBOAT_TEST_WORKSPACE;
  if (env) return path.resolve(env);
  const demo = path.join(repoRoot(), 'demo');
  if (fs.existsSync(demo)) return demo;
  const tmp = path.join(repoRoot(), '.cache/vscode/workspace');
  fs.mkdirSync(tmp, { recursive: true });
  // The extension activates on workspaceContains:**/docker-compose.yml.
  const compose = path.join(tmp, 'docker-compose.yml');
  if (!fs.existsSync(compose)) {
    fs.writeFileSync(compose, 'services:\n  db:\n    image: postgres:16\n    environment:\n      POSTGRES_PASSWORD: postgres\n');
  }
  return tmp;
}
