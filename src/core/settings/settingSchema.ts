import { SettingsError } from '../common';

/** The part of a `contributes.configuration` property that says which values are allowed. */
export interface SettingSpec {
  type?: string | string[];
  default?: unknown;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  items?: SettingSpec;
  properties?: Record<string, SettingSpec>;
  additionalProperties?: boolean;
  pattern?: string;
  patternErrorMessage?: string;
}

/** package.json's `lifeboat.*` schema, put in at build time (scripts/build.mjs). */
declare const LIFEBOAT_SETTING_SCHEMA: Record<string, SettingSpec> | undefined;
export const SETTING_SCHEMA: Readonly<Record<string, SettingSpec>> =
  typeof LIFEBOAT_SETTING_SCHEMA === 'object' && LIFEBOAT_SETTING_SCHEMA ? LIFEBOAT_SETTING_SCHEMA : {};

/** Every setting's default by its full name, as VS Code takes them from package.json. */
export function settingDefaults(): Record<string, unknown> {
  return Object.fromEntries(Object.entries(SETTING_SCHEMA).map(([key, spec]) => [key, spec.default ?? null]));
}

/**
 * Throws a SettingsError naming the setting, the value and what is allowed, unless `value`
 * fits the schema of `lifeboat.<key>`. VS Code only underlines a wrong value in the editor and
 * hands it over as written, and the command line reads the file itself, so every value is
 * checked here, on its way out of LifeboatSettings. Unset (undefined) always passes.
 */
export function checkSetting(key: string, value: unknown): void {
  const spec = SETTING_SCHEMA[`lifeboat.${key}`];
  if (!spec || value === undefined) return;
  const why = mismatch(value, spec);
  if (why === undefined) return;
  throw new SettingsError(
    `The setting lifeboat.${key} is ${show(value)}: ${why}.`,
    `Correct it in .vscode/settings.json (or search "lifeboat.${key}" in the Settings editor), then retry. Nothing was done with the wrong value.`,
  );
}

/** Why `value` does not fit `spec` ("it must be …"), or undefined when it does. */
function mismatch(value: unknown, spec: SettingSpec, where = 'it'): string | undefined {
  const must = () => `${where} must be ${describe(spec)}`;
  const types = spec.type === undefined ? undefined : Array.isArray(spec.type) ? spec.type : [spec.type];
  if (types && !types.some((t) => hasType(value, t))) return must();
  if (spec.enum && !spec.enum.some((e) => e === value)) return must();
  if (typeof value === 'number') {
    if ((spec.minimum !== undefined && value < spec.minimum) || (spec.maximum !== undefined && value > spec.maximum)) return must();
  }
  if (typeof value === 'string' && spec.pattern !== undefined && !new RegExp(spec.pattern, 'u').test(value)) {
    return spec.patternErrorMessage
      ? `${where} must be: ${spec.patternErrorMessage[0].toLowerCase()}${spec.patternErrorMessage.slice(1).replace(/\.$/, '')}`
      : must();
  }
  if (Array.isArray(value) && spec.items) {
    for (const [i, item] of value.entries()) {
      const why = mismatch(item, spec.items, `item ${i + 1} (${show(item)})`);
      if (why) return `${why} (the setting must be ${describe(spec)})`;
    }
  }
  if (isPlainObject(value) && (spec.properties || spec.additionalProperties === false)) {
    for (const [name, field] of Object.entries(value)) {
      const fieldSpec = spec.properties?.[name];
      if (!fieldSpec) {
        if (spec.additionalProperties === false)
          return `"${name}" is not one of its fields (${Object.keys(spec.properties ?? {}).join(', ') || 'none'})`;
        continue;
      }
      const why = mismatch(field, fieldSpec, `"${name}"`);
      if (why) return why;
    }
  }
  return undefined;
}

function hasType(value: unknown, type: string): boolean {
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'boolean':
      return typeof value === 'boolean';
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'array':
      return Array.isArray(value);
    case 'object':
      return isPlainObject(value);
    case 'null':
      return value === null;
    default:
      return true;
  }
}

/** What a value of `spec` looks like, in words: "a whole number from 1 to 9". */
function describe(spec: SettingSpec): string {
  if (spec.enum) return `one of ${spec.enum.map((e) => JSON.stringify(e)).join(', ')}`;
  const types = spec.type === undefined ? [] : Array.isArray(spec.type) ? spec.type : [spec.type];
  return types.map((t) => describeType(t, spec)).join(', or ') || 'a JSON value';
}

function describeType(type: string, spec: SettingSpec): string {
  switch (type) {
    case 'integer':
    case 'number': {
      const noun = type === 'integer' ? 'a whole number' : 'a number';
      if (spec.minimum !== undefined && spec.maximum !== undefined) return `${noun} from ${spec.minimum} to ${spec.maximum}`;
      if (spec.minimum !== undefined) return `${noun} of ${spec.minimum} or more`;
      if (spec.maximum !== undefined) return `${noun} of ${spec.maximum} or less`;
      return noun;
    }
    case 'string':
      return 'a string in double quotes';
    case 'boolean':
      return 'true or false';
    case 'array':
      return spec.items?.type === 'string' && !spec.items.pattern
        ? 'a list of strings, like ["a", "b"]'
        : `a list whose items are each ${spec.items ? describe(spec.items) : 'any value'}`;
    case 'object':
      return spec.properties ? `an object with ${Object.keys(spec.properties).join(', ')}` : 'an object, like {"name": "value"}';
    case 'null':
      return 'null';
    default:
      return type;
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
