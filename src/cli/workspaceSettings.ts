import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { LifeboatError, SettingsError } from '../core/errors';
import { LifeboatSettings, SettingsSource } from '../core/settings';
import { parseJsonc } from './jsonc';

/** package.json's setting defaults, put in at build time so the CLI and VS Code agree on them. */
declare const LIFEBOAT_SETTING_DEFAULTS: Record<string, unknown> | undefined;
const DEFAULTS: Record<string, unknown> = typeof LIFEBOAT_SETTING_DEFAULTS === 'object' && LIFEBOAT_SETTING_DEFAULTS ? LIFEBOAT_SETTING_DEFAULTS : {};

/**
 * The settings a VS Code window on `folder` would see from `.vscode/settings.json` (workspace
 * scope; user settings live in VS Code's profile, which a server does not have), over the
 * extension's defaults. Both spellings work: `"lifeboat.retention.database": {...}` and nested
 * `"lifeboat": {"retention.database": ...}` are VS Code's, the first is the common one.
 */
export async function readWorkspaceSettings(folder: string): Promise<LifeboatSettings> {
  const file = join(folder, '.vscode', 'settings.json');
  let values: Record<string, unknown> = {};
  let text: string | undefined;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new LifeboatError(`Cannot read ${file}: ${(err as Error).message}`);
  }
  if (text !== undefined && text.trim()) {
    let parsed: unknown;
    try {
      parsed = parseJsonc(text);
    } catch (err) {
      throw new SettingsError(`${file} is not valid JSON: ${(err as Error).message}`, 'Fix the file (VS Code marks the error when you open it), then retry.');
    }
    if (parsed && typeof parsed === 'object') values = parsed as Record<string, unknown>;
  }
  const source: SettingsSource = {
    get<T>(key: string): T | undefined {
      const full = `lifeboat.${key}`;
      if (full in values) return values[full] as T;
      const nested = values.lifeboat as Record<string, unknown> | undefined;
      if (nested && typeof nested === 'object' && key in nested) return nested[key] as T;
      return DEFAULTS[full] as T | undefined;
    },
  };
  return new LifeboatSettings(source, folder);
}
