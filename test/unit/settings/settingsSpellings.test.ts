import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseJsonc } from '../../../src/cli/jsonc';
import { FC_SEED } from '../../support/fcRandom';
import { settingsTree } from '../../../src/cli/workspaceSettings';
import { SETTING_SCHEMA, SettingSpec, checkSetting, settingDefaults } from '../../../src/core/settings';

/**
 * Property: however a settings.json spells a set of lifeboat.* values (flat keys, nested
 * objects, any mix; comments, trailing commas, a BOM), the command line reads the same value
 * for every setting, and that value is what VS Code's model gives: the written value, merged
 * into the default for object settings, else the default. Values come from each setting's own
 * schema. fast-check prints the seed of a failure; FC_SEED=<seed> replays it.
 */
type Tree = Record<string, unknown>;
const isObject = (v: unknown): v is Tree => typeof v === 'object' && v !== null && !Array.isArray(v);

function valueFor(spec: SettingSpec): fc.Arbitrary<unknown> {
  const types = Array.isArray(spec.type) ? spec.type : [spec.type ?? 'string'];
  return fc.oneof(...types.map((t) => valueOfType(t, spec)));
}

function valueOfType(type: string, spec: SettingSpec): fc.Arbitrary<unknown> {
  if (spec.enum) return fc.constantFrom(...spec.enum);
  switch (type) {
    case 'boolean':
      return fc.boolean();
    case 'integer':
      return fc.integer({ min: spec.minimum ?? -5, max: spec.maximum ?? 5000 });
    case 'number':
      return fc.double({ min: spec.minimum ?? 0, max: spec.maximum ?? 5000, noNaN: true, noDefaultInfinity: true });
    case 'null':
      return fc.constant(null);
    case 'array':
      return fc.array(spec.items ? valueFor(spec.items) : fc.string({ maxLength: 8 }), { maxLength: 3 });
    case 'object':
      if (!spec.properties) return fc.dictionary(fc.stringMatching(/^[a-z][a-z.]{0,8}$/), fc.string({ maxLength: 8 }), { maxKeys: 3 });
      return fc.record(Object.fromEntries(Object.entries(spec.properties).map(([k, p]) => [k, valueFor(p)])), { requiredKeys: [] });
    default:
      // A string setting with a pattern gets strings of that pattern; others printable ASCII.
      return spec.pattern ? fc.stringMatching(new RegExp(spec.pattern)).filter((v) => v.length <= 40) : fc.stringMatching(/^[ -~]{0,16}$/);
  }
}

const KEYS = Object.keys(SETTING_SCHEMA);
const written = fc
  .uniqueArray(fc.constantFrom(...KEYS), { maxLength: 8 })
  .chain((keys) => fc.tuple(...keys.map((key) => fc.record({ key: fc.constant(key), value: valueFor(SETTING_SCHEMA[key]) }))));

/**
 * One spelling: each key's first `depth` segments as the top-level key, the rest as nested
 * objects (depth 1: everything under "lifeboat"; 4: flat keys). One depth per file, because
 * VS Code (and so the command line) lets a later top-level key replace what an earlier one put
 * at the same path: `"lifeboat.retention": {...}` then `"lifeboat": {"retention": ...}` keeps
 * only the second. That rule is checked against VS Code itself by the host test.
 */
function spell(entries: { key: string; value: unknown }[], depth: number): Tree {
  const file: Tree = {};
  for (const { key, value } of entries) {
    const segments = key.split('.');
    const top = segments.slice(0, depth).join('.');
    const rest = segments.slice(depth);
    if (!rest.length) {
      file[top] = value;
      continue;
    }
    let node = (file[top] ??= {}) as Tree;
    for (const s of rest.slice(0, -1)) node = (node[s] ??= {}) as Tree;
    node[rest.at(-1)!] = value;
  }
  return file;
}

function asText(file: Tree, noise: { bom: boolean; comments: boolean; trailingComma: boolean }): string {
  let text = JSON.stringify(file, null, 2);
  if (noise.trailingComma && text !== '{}') text = text.replace(/\n}$/, ',\n}');
  if (noise.comments) text = `// settings\n${text.replace('{', '{ /* lifeboat */')}`;
  return noise.bom ? `\ufeff${text}` : text;
}

function lookUp(tree: Tree, key: string): unknown {
  let node: unknown = tree;
  for (const s of key.split('.')) node = isObject(node) ? node[s] : undefined;
  return node;
}

function mergeOver(base: unknown, over: unknown): unknown {
  if (!isObject(base) || !isObject(over)) return over;
  const out: Tree = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = mergeOver(base[k], v);
  return out;
}

describe('settings.json spellings (property, fast-check)', () => {
  const defaults = settingDefaults();

  it('every spelling of the same values reads as VS Code would read them, and passes the schema', () => {
    fc.assert(
      fc.property(
        written,
        fc.integer({ min: 1, max: 4 }),
        fc.record({ bom: fc.boolean(), comments: fc.boolean(), trailingComma: fc.boolean() }),
        (entries, depth, noise) => {
          const tree = settingsTree(defaults, parseJsonc(asText(spell(entries, depth), noise)) as Tree);
          const flat = settingsTree(defaults, Object.fromEntries(entries.map((e) => [e.key, e.value])));
          for (const key of KEYS) {
            const given = entries.find((e) => e.key === key);
            const expected = given ? mergeOver(defaults[key], given.value) : defaults[key];
            const got = lookUp(tree, key);
            assert.deepEqual(JSON.parse(JSON.stringify(got ?? null)), JSON.parse(JSON.stringify(expected ?? null)), key);
            assert.deepEqual(lookUp(flat, key), got, `${key}: flat and mixed spellings differ`);
            checkSetting(key.slice('lifeboat.'.length), got ?? undefined);
          }
        },
      ),
      { numRuns: 150, seed: FC_SEED },
    );
  });
});
