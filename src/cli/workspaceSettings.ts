import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { LifeboatError, SettingsError } from '../core/common';
import { settingDefaults, LifeboatSettings, SettingsSource } from '../core/settings';
import { parseJsonc } from './jsonc';

/** package.json's setting defaults, put in at build time so the CLI and VS Code agree on them. */
const DEFAULTS = settingDefaults();

type Tree = Record<string, unknown>;

/**
 * The settings a VS Code window on `folder` would see from `.vscode/settings.json` (workspace
 * scope; user settings live in VS Code's profile, which a server does not have), over the
 * extension's defaults. Every spelling VS Code reads works, because the file is turned into
 * the same tree VS Code builds: `"lifeboat.retention.database": {...}`,
 * `"lifeboat.retention": {"database": {...}}` and `"lifeboat": {"retention": {...}}` alike.
 */
export async function readWorkspaceSettings(folder: string): Promise<LifeboatSettings> {
  return new LifeboatSettings(await workspaceSettingsSource(folder), folder);
}

/** The raw `lifeboat.*` values of `folder` as VS Code would read them (before any checking). */
export async function workspaceSettingsSource(folder: string): Promise<SettingsSource> {
  const file = join(folder, '.vscode', 'settings.json');
  let values: Tree = {};
  let text: string | undefined;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new LifeboatError(`Cannot read ${file}: ${(err as Error).message}`, undefined, undefined, { cause: err });
  }
  if (text !== undefined && text.trim()) {
    let parsed: unknown;
    try {
      parsed = parseJsonc(text);
    } catch (err) {
      throw new SettingsError(
        `${file} is not valid JSON: ${(err as Error).message}`,
        'Fix the file (VS Code marks the error when you open it), then retry.',
        { cause: err },
      );
    }
    if (isObject(parsed)) values = parsed;
  }
  const tree = settingsTree(DEFAULTS, values);
  return {
    get<T>(key: string): T | undefined {
      return lookUp(tree, `lifeboat.${key}`) as T | undefined;
    },
  };
}

/**
 * VS Code's configuration model, reduced to what one folder's file needs: each top-level key
 * of a settings file is split on its dots into a path (keys inside its value are not: they
 * belong to the value, like a healthExpect field named "db.state"), later keys overwrite
 * earlier ones at their path, and the file's tree is then merged over the defaults' tree
 * object by object, which is why an object setting keeps the default's fields it does not set.
 */
export function settingsTree(defaults: Tree, file: Tree): Tree {
  const merged = valueTree(defaults);
  mergeInto(merged, valueTree(file));
  return merged;
}

function valueTree(flat: Tree): Tree {
  const root: Tree = Object.create(null) as Tree;
  for (const [key, value] of Object.entries(flat)) {
    // `[python]`-style language sections never hold lifeboat settings.
    if (key.startsWith('[')) continue;
    const segments = key.split('.');
    const last = segments.pop()!;
    let node: Tree | undefined = root;
    for (const segment of segments) {
      const next: unknown = node[segment];
      if (next === undefined) {
        node = node[segment] = Object.create(null) as Tree;
      } else if (isObject(next)) {
        node = next;
      } else {
        // VS Code drops a key whose path runs through a plain value, with a console warning.
        node = undefined;
        break;
      }
    }
    if (node) node[last] = clone(value);
  }
  return root;
}

function mergeInto(target: Tree, source: Tree): void {
  for (const [key, value] of Object.entries(source)) {
    const existing = target[key];
    if (isObject(existing) && isObject(value)) mergeInto(existing, value);
    else target[key] = clone(value);
  }
}

function lookUp(tree: Tree, key: string): unknown {
  let node: unknown = tree;
  for (const segment of key.split('.')) {
    if (!isObject(node)) return undefined;
    node = node[segment];
  }
  // A plain copy: callers compare and spread it like any parsed JSON, and cannot change the tree.
  return node === undefined ? undefined : JSON.parse(JSON.stringify(node));
}

function isObject(v: unknown): v is Tree {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function clone(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(clone);
  if (isObject(v)) {
    const out: Tree = Object.create(null) as Tree;
    for (const [k, x] of Object.entries(v)) out[k] = clone(x);
    return out;
  }
  return v;
}
