import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * Unpacks a .vsix (a zip) into a new folder under the system temp folder, where no node_modules
 * of a checkout can be found by walking up, and returns the extension's own folder in it.
 */
export function unpackVsix(vsix: string, tag = 'vsix'): { root: string; extension: string } {
  const root = fs.mkdtempSync(path.join(fs.realpathSync(os.tmpdir()), `lifeboat-${tag}-`));
  // python3's zipfile is on every Debian machine; unzip is not.
  execFileSync('python3', ['-m', 'zipfile', '-e', path.resolve(vsix), root], { stdio: ['ignore', 'ignore', 'inherit'] });
  const extension = path.join(root, 'extension');
  if (!fs.existsSync(path.join(extension, 'package.json'))) throw new Error(`${vsix} holds no extension/package.json`);
  return { root, extension };
}

/** True when no folder from `dir` up to the root holds a node_modules. */
export function noNodeModulesAbove(dir: string): boolean {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    if (fs.existsSync(path.join(d, 'node_modules'))) return false;
    if (path.dirname(d) === d) return true;
  }
}
