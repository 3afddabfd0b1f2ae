// Extension-host test runner, the official way, offline: a real VS Code (code-server 4.139,
// VS Code 1.139, Node 24 extension host) in test mode, driven by headless Chromium.
//
//   node scripts/build.mjs --tests && node out/test/extension/run.js
//
// 1. starts code-server with --vscode-option enable-smoke-test-driver (fresh profile);
// 2. opens http://127.0.0.1:PORT/?folder=<workspace>&payload=[[extensionDevelopmentPath,...],
//    [extensionTestsPath, out/test/extension/suite/index.js]] in Chromium;
// 3. VS Code loads the extension as users get it, from dist/lifeboat.vsix unpacked under the
//    system temp folder (outside the checkout, so no node_modules of the checkout can leak in), runs suite/index.js's run() (mocha) in the
//    extension host, forwards its console to window.codeAutomationLog (printed here) and calls
//    window.codeAutomationExit(code) when the tests end;
// 4. exits with that code (1 on timeout or error), after stopping Chromium and code-server.
//
// Environment:
//   LIFEBOAT_TEST_WORKSPACE   folder to open (default <repo>/demo, else a temp folder with a
//                             docker-compose.yml)
//   LIFEBOAT_TEST_GREP        mocha --grep
//   LIFEBOAT_TEST_TIMEOUT     overall timeout in seconds (default 300)
//   LIFEBOAT_TEST_VERBOSE=1   also print code-server's log and the browser console
//   LIFEBOAT_TEST_KEEP=1      keep the code-server state dir and the unpacked .vsix (both under the temp folder)
//   LIFEBOAT_TEST_*           copied into out/test/extension/config.json for the suites
//                             (see suite/config.ts); the extension host also inherits them.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { format } from 'node:util';
import { unpackVsix } from '../package/unpackVsix';
import { defaultWorkspace, installCodeServer, launchBrowser, repoRoot, startCodeServer, workbenchUrl } from './codeServer';

async function main(): Promise<number> {
  const started = Date.now();
  const repo = repoRoot();
  const verbose = process.env.LIFEBOAT_TEST_VERBOSE === '1';
  const mark = (what: string): void => {
    if (verbose) console.log(`[run] ${what} at ${((Date.now() - started) / 1000).toFixed(1)} s`);
  };
  const timeoutS = Number(process.env.LIFEBOAT_TEST_TIMEOUT ?? 300);
  const workspace = defaultWorkspace();
  // Next to this runner, so a private build folder (LIFEBOAT_OUT) works as well as out/.
  const suiteIndex = path.join(__dirname, 'suite', 'index.js');
  if (!fs.existsSync(suiteIndex)) {
    console.error(`[run] ${suiteIndex} missing: run "node scripts/build.mjs --tests" first`);
    return 1;
  }
  const vsix = path.resolve(repo, process.env.LIFEBOAT_VSIX ?? 'dist/lifeboat.vsix');
  if (!fs.existsSync(vsix)) {
    console.error(`[run] ${vsix} missing: run "npm run package" first`);
    return 1;
  }
  const unpacked = unpackVsix(vsix, 'host-test');
  const paths = installCodeServer();

  // Config for the suites (env vars of this process cannot travel through the browser).
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (k.startsWith('LIFEBOAT_TEST_') && v !== undefined) env[k] = v;
  const configFile = path.join(__dirname, 'config.json');
  fs.writeFileSync(
    configFile,
    JSON.stringify(
      { repo, extensionPath: unpacked.extension, workspace, grep: process.env.LIFEBOAT_TEST_GREP, node24: paths.node24, env },
      null,
      2,
    ),
  );

  const server = await startCodeServer({ testMode: true, verbose, env: { LIFEBOAT_TEST_CONFIG: configFile } });
  console.log(`[run] code-server ${server.url} ready in ${((Date.now() - started) / 1000).toFixed(1)} s (log: ${server.logFile})`);
  let browser: Awaited<ReturnType<typeof launchBrowser>> | undefined;
  try {
    browser = await launchBrowser();
    mark('chromium started');
    const page = browser.context.pages()[0] ?? (await browser.context.newPage());
    let resolveExit!: (code: number) => void;
    const exited = new Promise<number>((r) => (resolveExit = r));
    // Both must exist before the workbench script runs: expose them before navigating.
    await page.exposeFunction('codeAutomationLog', (type: string, args: unknown) => {
      // args is the console call's argument list (format string first): format it like Node.
      const text = Array.isArray(args) ? format(...(args as unknown[])) : String(args);
      if (!verbose && isWorkbenchNoise(text)) return;
      (type === 'error' ? console.error : console.log)(text);
    });
    await page.exposeFunction('codeAutomationExit', (code: number) => {
      resolveExit(Number(code));
    });
    if (verbose) page.on('console', (m) => console.log(`[browser ${m.type()}] ${m.text()}`));
    page.on('pageerror', (e) => console.error(`[browser pageerror] ${e.message}`));

    const url = workbenchUrl(server.port, {
      folder: workspace,
      extensionDevelopmentPath: unpacked.extension,
      extensionTestsPath: suiteIndex,
    });
    console.log(`[run] opening ${url}`);
    await page.goto(url, { waitUntil: 'domcontentloaded' });
    mark('workbench page loaded');

    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    const timeout = new Promise<number>((r) => {
      timer = setTimeout(() => {
        timedOut = true;
        console.error(`[run] timed out after ${timeoutS} s without codeAutomationExit`);
        r(1);
      }, timeoutS * 1000);
    });
    const code = await Promise.race([exited, timeout]);
    clearTimeout(timer);
    if (timedOut && !verbose) {
      // Show the end of code-server's log: it names load errors of the extension or the suite.
      const log = fs.readFileSync(server.logFile, 'utf8').split('\n').slice(-30).join('\n');
      console.error(`[run] last lines of ${server.logFile}:\n${log}`);
    }
    console.log(`[run] exit code ${code} after ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return code;
  } finally {
    await browser?.close();
    await server.stop();
    if (process.env.LIFEBOAT_TEST_KEEP !== '1') {
      fs.rmSync(server.stateDir, { recursive: true, force: true });
      fs.rmSync(unpacked.root, { recursive: true, force: true });
    }
  }
}

// Workbench messages that come through the same channel as the tests' console output and are
// expected offline (no GitHub, no open-vsx.org): hidden unless LIFEBOAT_TEST_VERBOSE=1.
const NOISE = [
  /^Resolv(ing|ed) connection token/,
  /^Creating a socket/,
  /^\[reconnection-grace-time\]/,
  /^Updating additional builtin extensions cache/,
  /^\[Service Worker\]/,
  /^Ignoring fetching additional builtin extensions/,
  /^\[AccountPolicyGate\]/,
  /^\[AgentHost/,
  /^Creation of workbench contribution/,
  /authentication provider 'github'/,
  /^No search provider registered for scheme/,
  /ENOTFOUND open-vsx\.org/,
];
function isWorkbenchNoise(text: string): boolean {
  return NOISE.some((re) => re.test(text));
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error('[run]', err);
    process.exit(1);
  },
);
