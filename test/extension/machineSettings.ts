import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Workbench } from './ui-flow';

/**
 * Settings written where a remote window (code-server is one) reads them over the user's: the
 * machine's settings.json. Returns a function that puts the file back as it was.
 */
export function machineSettings(wb: Workbench, values: Record<string, unknown>): () => void {
  const dir = path.join(wb.server.stateDir, 'user-data', 'Machine');
  const file = path.join(dir, 'settings.json');
  const original = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(values, null, 2)}\n`);
  // Rewritten rather than deleted: VS Code's watcher reliably reports a change, not always a deletion.
  return () => fs.writeFileSync(file, original ?? '{}\n');
}
