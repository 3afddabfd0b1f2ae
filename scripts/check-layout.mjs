// Keeps the domain folders of src/core apart (run by `npm run lint`): every file sits in a
// domain folder, a folder reaches another only through its index.ts (ESLint says so in the
// editor; this also sees `import('…')` types), and no two folders import each other, directly
// or round a longer loop, so a folder can be read, tested and loaded without those above it.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix, relative } from 'node:path';

const CORE = 'src/core';
const SPEC = /(?:\bfrom\s+|\bimport\s*\(\s*|\brequire\s*\(\s*|\bimport\s+)(['"])(\.\.?(?:\/[^'"]*)?)\1/g;

function tsFiles(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...tsFiles(p));
    else if (p.endsWith('.ts')) out.push(p.split('\\').join('/'));
  }
  return out;
}
const folderOf = (p) => p.match(/^src\/core\/([^/]+)\//)?.[1] ?? null;

const problems = [];
const graph = new Map(); // folder -> Map(folder -> first file that imports it)
for (const file of tsFiles(CORE)) {
  const from = folderOf(file);
  if (!from) {
    problems.push(`${file}: every file of src/core belongs in a domain folder.`);
    continue;
  }
  const text = readFileSync(file, 'utf8');
  for (const m of text.matchAll(SPEC)) {
    const target = posix.normalize(posix.join(posix.dirname(file), m[2]));
    if (!target.startsWith(`${CORE}/`)) continue;
    const to = folderOf(`${target}/`);
    if (!to || to === from) continue;
    if (target !== `${CORE}/${to}` && target !== `${CORE}/${to}/index`) {
      problems.push(
        `${file}: imports "${m[2]}", a file inside "${to}"; import the folder ("${posix.relative(posix.dirname(file), `${CORE}/${to}`)}") instead.`,
      );
    }
    if (!graph.has(from)) graph.set(from, new Map());
    if (!graph.get(from).has(to)) graph.get(from).set(to, file);
  }
}

// The extension, the command line, tests and benchmarks also go through the indexes.
for (const dir of ['src/extension', 'src/cli', 'test', 'bench']) {
  if (!existsSync(dir)) continue;
  for (const file of tsFiles(dir)) {
    for (const m of readFileSync(file, 'utf8').matchAll(SPEC)) {
      const target = posix.normalize(posix.join(posix.dirname(file), m[2]));
      const to = folderOf(`${target}/`);
      if (to && target !== `${CORE}/${to}` && target !== `${CORE}/${to}/index`) {
        problems.push(
          `${file}: imports "${m[2]}", a file inside "${to}"; import the folder ("${posix.relative(posix.dirname(file), `${CORE}/${to}`)}") instead.`,
        );
      }
    }
  }
}

// Depth-first search; a grey node met again closes a cycle.
const state = new Map();
const path = [];
const cycles = [];
function visit(n) {
  state.set(n, 'open');
  path.push(n);
  for (const m of graph.get(n)?.keys() ?? []) {
    if (state.get(m) === 'open') cycles.push([...path.slice(path.indexOf(m)), m]);
    else if (!state.has(m)) visit(m);
  }
  path.pop();
  state.set(n, 'done');
}
for (const n of [...graph.keys()].sort()) if (!state.has(n)) visit(n);
for (const c of cycles) {
  const via = c.slice(0, -1).map((f, k) => `${graph.get(f).get(c[k + 1])} imports "${c[k + 1]}"`);
  problems.push(
    `The folders ${c.map((f) => `"${f}"`).join(' -> ')} import each other in a cycle (${via.join('; ')}). Move the file to the lower folder, or pass what it needs in.`,
  );
}

if (problems.length) {
  for (const p of problems) console.error(p);
  process.exit(1);
}
console.log(`check-layout: ${graph.size} folders of ${relative('.', CORE)} import each other without a cycle.`);
