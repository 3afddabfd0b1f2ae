import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { REPO, tempDir } from './harness';

/** The command-line bundle users get (node scripts/build.mjs). */
export const CLI = join(REPO, 'dist', 'cli.js');

export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** The real bundle in a real process, as cron would run it. */
export function lifeboat(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** A project folder whose .vscode/settings.json (with comments, as users write it) points at the demo stack. */
export async function project(settings: Record<string, unknown>): Promise<string> {
  const folder = await tempDir('cli');
  await fs.mkdir(join(folder, '.vscode'));
  const body = Object.entries({ 'lifeboat.composeProject': 'sms', ...settings })
    .map(([k, v]) => `  // set by the test\n  "${k}": ${JSON.stringify(v)},`)
    .join('\n');
  await fs.writeFile(join(folder, '.vscode', 'settings.json'), `{\n${body}\n}\n`);
  return folder;
}

/** The names in a folder, sorted; none when it does not exist. */
export async function files(dir: string): Promise<string[]> {
  return (await fs.readdir(dir).catch(() => [] as string[])).sort();
}
