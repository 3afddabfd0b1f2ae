// What the kill -9 tests of volume operations share: the core operation in a process of its
// own (coreChild), and the look at what a kill left followed by the next run, which must
// clean up after the dead process and start what it had stopped.
import { ChildProcess, execFile, spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { dataFingerprint, inVolume, running, waitHealthy } from './harness';

export const CORE_CHILD = join(__dirname, 'coreChild.js');

/** How a coreChild run ended: its exit code, its one JSON answer and its log (stderr). */
export interface Ran {
  code: number;
  out: { ok: boolean; error?: string; result?: unknown };
  log: string;
}

export async function assertCoreChildBuilt(): Promise<void> {
  await fs.access(CORE_CHILD).catch(() => {
    throw new Error(`${CORE_CHILD} is missing: run node scripts/build.mjs --tests`);
  });
}

export function runChild(operation: string, opts: object): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CORE_CHILD, operation, JSON.stringify(opts)], { maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
      let out: Ran['out'];
      try {
        out = JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as Ran['out'];
      } catch {
        out = { ok: false, error: `no answer: ${stdout}` };
      }
      resolve({ code, out, log: stderr });
    });
  });
}

/** The operation started, for a test to kill: nothing of its output is kept. */
export function startChild(operation: string, opts: object): ChildProcess {
  return spawn(process.execPath, [CORE_CHILD, operation, JSON.stringify(opts)], { stdio: ['ignore', 'ignore', 'ignore'] });
}

/**
 * Text that differs from run to run (the temporary folder, times, helper and folder ids,
 * process ids) replaced by placeholders, so the fault matrix reads the same on every run.
 */
export function stableText(text: string, dir: string): string {
  return text
    .split(dir)
    .join('<backups>')
    .replace(/\d{8}_\d{6}/g, 'YYYYMMDD_HHMMSS')
    .replace(/\.lifeboat-(restore|safety)-[0-9a-f]+/g, '.lifeboat-$1-<id>')
    .replace(/\blifeboat-(restore|snapshot)-[0-9a-f]{8}\b/g, 'lifeboat-$1-<id>')
    .replace(/process \d+, started [^)]+/g, 'process <pid>, started <time>');
}

export interface AfterKill {
  /** The database container was down when the kill was looked at. */
  dbDown: boolean;
  next: Ran;
  /** The next run's log lines that `logged` matched, as stable text without their level. */
  logged: string[];
  /** The database's data once the next run is over and it is healthy again. */
  fingerprint: string;
}

/**
 * The next run after a kill: notes whether the kill left the database down, runs `next`, waits
 * for the database and reads its data, and picks out what the run said about the leftovers.
 */
export async function afterKill(o: { db: string; dir: string; next: () => Promise<Ran>; logged?: RegExp }): Promise<AfterKill> {
  const dbDown = !(await running(o.db));
  const next = await o.next();
  await waitHealthy(o.db);
  const fingerprint = await dataFingerprint(o.db, 'lb', 'lbdb');
  const logged = next.log
    .split('\n')
    .filter((l) => (o.logged ?? /interrupted/).test(l))
    .map((l) => stableText(l.replace(/^\w+ /, ''), o.dir));
  return { dbDown, next, logged, fingerprint };
}

/**
 * The restore's folders at the top of a volume (`.lifeboat-restore-<id>` staged content,
 * `.lifeboat-safety-<id>` the previous content kept aside), with how many entries each holds.
 */
export async function volumeLeftoverFolders(volume: string): Promise<Record<string, number>> {
  const out = await inVolume(volume, ['find', '/data', '-mindepth', '1', '-maxdepth', '2', '-path', '/data/.lifeboat-*'], {
    readOnly: true,
  });
  const counts: Record<string, number> = {};
  for (const line of out.split('\n').filter(Boolean)) {
    const m = /^\/data\/(\.lifeboat-(?:restore|safety)-[0-9a-f]+)(\/.+)?$/.exec(line);
    if (m) counts[m[1]] = (counts[m[1]] ?? 0) + (m[2] ? 1 : 0);
  }
  return counts;
}

/** The folders of one kind among `volumeLeftoverFolders`. */
export const foldersOfKind = (folders: Record<string, number>, kind: 'restore' | 'safety') =>
  Object.entries(folders).filter(([d]) => d.startsWith(`.lifeboat-${kind}-`));

/** How many entries the folders of one kind hold together. */
export const entriesOfKind = (folders: Record<string, number>, kind: 'restore' | 'safety') =>
  foldersOfKind(folders, kind).reduce((n, [, c]) => n + c, 0);
