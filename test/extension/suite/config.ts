// How extension-host suites get their configuration.
//
// The host runs inside code-server, started by out/test/extension/run.js; environment
// variables of the shell that ran the runner do reach the extension host (it is a child of
// code-server, which is a child of the runner), but to be explicit and to work when a suite is
// started some other way, the runner also writes them to a JSON file:
//
//   <repo>/out/test/extension/config.json   (path also in env LIFEBOAT_TEST_CONFIG)
//
// { "repo": "/abs/repo", "workspace": "/abs/workspace", "grep": "...",
//   "env": { "LIFEBOAT_TEST_...": "..." }, "node24": "/abs/path/to/node24" }
//
// Every LIFEBOAT_TEST_* variable of the runner's environment is copied into "env".
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface TestConfig {
  /** Absolute path of the repository (the tests' own code). */
  repo: string;
  /** Where the extension under test was unpacked from dist/lifeboat.vsix (outside the repository). */
  extensionPath: string;
  /** Absolute path of the workspace folder opened in the window. */
  workspace: string;
  /** Mocha grep, from LIFEBOAT_TEST_GREP. */
  grep?: string;
  /** Node 24 used by code-server (for tests that want to spawn the same Node). */
  node24?: string;
  /** Every LIFEBOAT_TEST_* variable the runner saw. */
  env: Record<string, string>;
}

export function configPath(): string {
  // out/test/extension/suite/config.js -> out/test/extension/config.json
  return process.env.LIFEBOAT_TEST_CONFIG ?? path.resolve(__dirname, '..', 'config.json');
}

export function readTestConfig(): TestConfig {
  return JSON.parse(fs.readFileSync(configPath(), 'utf8')) as TestConfig;
}

/** A LIFEBOAT_TEST_* value: from the config file, else the environment. */
export function testEnv(name: string): string | undefined {
  try {
    const v = readTestConfig().env[name];
    if (v !== undefined) return v;
  } catch {
    /* no config file: fall back to the environment */
  }
  return process.env[name];
}
