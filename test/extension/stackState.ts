// What a destructive step would change in the demo stack, read straight from Docker: the
// databases on the server and each container's start time. Equal before and after means no
// database was renamed, restored or dropped, and no container was stopped or restarted.
import { execFileSync } from 'node:child_process';

export interface StackState {
  databases: string[];
  /** Container name → "running since <StartedAt>" (or its state when not running). */
  containers: Record<string, string>;
}

const DB_CONTAINER = 'sms-db';
const CONTAINERS = [DB_CONTAINER, 'sms-web'];

function docker(args: string[]): string {
  return execFileSync('docker', args, { encoding: 'utf8', timeout: 60_000 }).trim();
}

export function stackState(): StackState {
  const databases = docker([
    'exec',
    DB_CONTAINER,
    'psql',
    '-U',
    'sms_user',
    '-d',
    'sms_db',
    '-Atc',
    'SELECT datname FROM pg_database ORDER BY 1',
  ]).split('\n');
  const containers: Record<string, string> = {};
  for (const name of CONTAINERS) {
    const [running, startedAt] = docker(['inspect', '-f', '{{.State.Running}} {{.State.StartedAt}}', name]).split(' ');
    containers[name] = running === 'true' ? `running since ${startedAt}` : `not running (${startedAt})`;
  }
  return { databases, containers };
}

/** Throws, naming the difference, when the stack is not as it was. */
export function expectUnchanged(before: StackState, after: StackState, what: string): void {
  const was = JSON.stringify(before);
  const now = JSON.stringify(after);
  if (was !== now) throw new Error(`${what} changed the stack: before ${was}, after ${now}`);
}
