// Runs one core operation in a process of its own, so a test can kill -9 it: the same code the
// extension host runs, without VS Code around it. Usage: node coreChild.js <operation> <json>.
// The log goes to stderr line by line (a kill loses nothing already written); the result or
// the error as the user reads it goes to stdout as one JSON line.
import { archiveConfig } from '../../src/core/config';
import { restoreDatabase } from '../../src/core/database';
import { discoverStack } from '../../src/core/stack';
import { connectDocker } from '../../src/core/docker';
import type { Logger } from '../../src/core/common';
import { restoreVolume, snapshotVolume } from '../../src/core/volume';
import { shown } from './faultMatrix';

const line = (level: string) => (msg: string) => process.stderr.write(`${level} ${msg}\n`);
const log: Logger = {
  info: line('info'),
  warn: line('warn'),
  error: line('error'),
  tool: (tool, text) => process.stderr.write(`tool ${tool}: ${text}\n`),
};

const operations: Record<string, (opts: Record<string, unknown>) => Promise<unknown>> = {
  snapshotVolume: (opts) => snapshotVolume(connectDocker(), { ...(opts as { volume: string; backupDir: string }), logger: log }),
  archiveConfig: (opts) => archiveConfig({ ...(opts as unknown as Parameters<typeof archiveConfig>[0]), logger: log }),
  restoreDatabase: async (opts) => {
    const { dbContainer, ...rest } = opts as { dbContainer: string; file: string; backupDir: string };
    const docker = connectDocker();
    const stack = await discoverStack(docker, { dbContainer });
    return restoreDatabase(docker, stack, { ...rest, confirm: async () => true, logger: log });
  },
  restoreVolume: (opts) => restoreVolume(connectDocker(), { ...(opts as unknown as Parameters<typeof restoreVolume>[1]), logger: log }),
};

async function main(): Promise<void> {
  const [name, json] = process.argv.slice(2);
  const op = operations[name];
  if (!op) throw new Error(`unknown operation ${name}`);
  const result = await op(JSON.parse(json) as Record<string, unknown>);
  process.stdout.write(`${JSON.stringify({ ok: true, result })}\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stdout.write(`${JSON.stringify({ ok: false, error: shown(err) })}\n`);
    process.exit(1);
  },
);
