// Every command contributed in package.json must be registered in the registry, and every
// registered command contributed: a mismatch is a button that does nothing or a hidden command.
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const contributed = new Set(pkg.contributes.commands.map((c) => c.command));
const registry = readFileSync('src/extension/commands/registry.ts', 'utf8');
const registered = new Set([...registry.matchAll(/^\s*'(lifeboat\.[A-Za-z0-9]+)':/gm)].map((m) => m[1]));

const problems = [];
for (const id of contributed) if (!registered.has(id)) problems.push(`${id} is contributed but not registered`);
for (const id of registered) if (!contributed.has(id)) problems.push(`${id} is registered but not contributed`);
const menus = Object.values(pkg.contributes.menus ?? {}).flat();
for (const m of menus) if (m.command && !contributed.has(m.command)) problems.push(`menu entry for unknown command ${m.command}`);
for (const c of pkg.contributes.commands) if (c.category !== 'Lifeboat') problems.push(`${c.command} is not in category Lifeboat`);

if (problems.length) {
  console.error(problems.join('\n'));
  process.exit(1);
}
console.log(`check-commands: ${contributed.size} commands contributed and registered`);
