import * as assert from 'node:assert/strict';
import { ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { HALF_WRITTEN_MS } from '../../src/core/store';
import { recordFault } from './faultMatrix';
import { exited, killWhen, sleep } from './killWhen';
import { REPO, ScratchDb, run, scratchPostgres, tempDir } from './harness';

/**
 * kill -9 of the command line's database backup at each phase: a signal no `finally` sees, as a
 * power cut, the OOM killer or `systemctl kill` would deliver. What must hold afterwards is what
 * the design promises without any cleanup by the killed process: no final-named half file, the
 * older backups as they were, no pg_dump left running in the container, and a next run that
 * removes the stale partial and succeeds.
 */
const CLI = join(REPO, 'dist', 'cli.js');
const NAME = 'lifeboat-kill9-pg';
const PORT = 55489;
const OPERATION = 'database backup (command line)';

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

function lifeboat(folder: string): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, 'backup', 'database', '--folder', folder, '--verbose'],
      { maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

function start(folder: string): ChildProcess {
  return spawn(process.execPath, [CLI, 'backup', 'database', '--folder', folder, '--verbose'], { stdio: ['ignore', 'ignore', 'pipe'] });
}

async function sha256(path: string): Promise<string> {
  return createHash('sha256')
    .update(await fs.readFile(path))
    .digest('hex');
}

async function files(dir: string): Promise<string[]> {
  return (await fs.readdir(dir).catch(() => [] as string[])).sort();
}

async function pgDumps(): Promise<string[]> {
  const { stdout } = await run('docker', ['top', NAME, '-eo', 'pid,args']);
  return stdout.split('\n').filter((l) => /pg_dump/.test(l));
}

describe('kill -9 of `lifeboat backup database` at each phase (real processes, a scratch PostgreSQL)', function () {
  this.timeout(300_000);
  let db: ScratchDb;
  let folder: string;
  let dir: string;
  /** The backups made before the kills, with their checksums. */
  let older: Record<string, string>;

  before(async () => {
    await fs.access(CLI).catch(() => {
      throw new Error(`${CLI} is missing: run node scripts/build.mjs`);
    });
    // About 60 MB of SQL: streaming takes long enough to be caught in the middle.
    db = await scratchPostgres(NAME, PORT, 60 * 1024 * 1024);
    folder = await tempDir('kill9');
    await fs.mkdir(join(folder, '.vscode'));
    await fs.writeFile(
      join(folder, '.vscode', 'settings.json'),
      `{\n  // a scratch container of the test\n  "lifeboat.database.container": ${JSON.stringify(NAME)},\n}\n`,
    );
    dir = join(folder, 'backups', 'database');
    const first = await lifeboat(folder);
    assert.equal(first.code, 0, first.stderr);
  });

  after(async () => {
    await db?.remove();
    if (folder) await fs.rm(folder, { recursive: true, force: true });
  });

  async function noteOlder(): Promise<void> {
    older = {};
    for (const f of await files(dir)) if (!f.startsWith('.')) older[f] = await sha256(join(dir, f));
    assert.ok(
      Object.keys(older).some((f) => f.endsWith('.sql.gz')),
      'an older backup to protect',
    );
  }
  beforeEach(noteOlder);

  /** Checks what a kill left, runs again (the leftovers must go and a backup be made), records it. */
  async function afterKill(fault: string, killedWith: { partialSeen: boolean }): Promise<void> {
    const left = await files(dir);
    const partials = left.filter((f) => f.endsWith('.partial'));
    const finals = left.filter((f) => !f.startsWith('.') && !(f in older));
    const locks = (await files(join(folder, 'backups'))).filter((f) => f.endsWith('.lock'));
    let intact = true;
    for (const [f, sum] of Object.entries(older)) intact &&= (await sha256(join(dir, f)).catch(() => '')) === sum;

    // pg_dump dies on its next write once nothing reads its output; give it a moment to notice.
    let dumps = await pgDumps();
    for (let i = 0; i < 50 && dumps.length; i++) {
      await sleep(200);
      dumps = await pgDumps();
    }

    // A lock killed before its owner was written in cannot name a dead process: only its age
    // frees it, so the next run comes as a later scheduled one would.
    let emptyLock = false;
    for (const l of locks) emptyLock ||= (await fs.readFile(join(folder, 'backups', l), 'utf8').catch(() => 'gone')) === '';
    if (emptyLock) await sleep(HALF_WRITTEN_MS + 1000);

    const next = await lifeboat(folder);
    const now = await files(dir);
    for (const [f, sum] of Object.entries(older)) intact &&= (await sha256(join(dir, f)).catch(() => '')) === sum;
    const removal = next.stderr.split('\n').filter((l) => /left by an interrupted database backup/.test(l));
    // The temp folder's name changes every run; the matrix should not.
    const stable = (text: string) =>
      text
        .split(folder)
        .join('<project>')
        .replace(/\d{8}_\d{6}/g, 'YYYYMMDD_HHMMSS');
    const shownLines = removal.map(stable);
    recordFault({
      operation: OPERATION,
      fault,
      userSees: `nothing from the killed process; the next run (exit ${next.code}) logs: ${shownLines.join(' ') || 'no removal'}`,
      leftOnDisk:
        [
          ...partials.map(stable),
          ...finals,
          ...locks.map(
            (l) =>
              `${l}${emptyLock ? ' (empty: taken over by a run 10 s later)' : ' (naming the dead process: taken over by the next run)'}`,
          ),
        ].join(', ') || 'nothing',
      dataLost: !intact,
    });

    assert.ok(intact, 'the older backups are untouched');
    assert.deepEqual(finals, [], 'no final-named file from the killed run');
    assert.equal(partials.length, killedWith.partialSeen ? 1 : 0, `partials left: ${partials.join(', ')}`);
    assert.deepEqual(dumps, [], 'no pg_dump left in the container');
    assert.equal(next.code, 0, next.stderr);
    for (const p of partials)
      assert.ok(
        removal.some((l) => l.includes(join(dir, p))),
        `the next run names ${p} as removed:\n${next.stderr}`,
      );
    assert.deepEqual(
      now.filter((f) => f.endsWith('.partial')),
      [],
      'the next run removed the stale partial',
    );
    assert.equal(now.filter((f) => f.endsWith('.sql.gz') && !(f in older)).length, 1, 'the next run made one backup');
    assert.deepEqual(
      (await files(join(folder, 'backups'))).filter((f) => f.endsWith('.lock')),
      [],
      'no lock after the next run',
    );
  }

  async function exists(path: string): Promise<boolean> {
    return fs.access(path).then(
      () => true,
      () => false,
    );
  }

  const lockText = async () => {
    const lock = (await files(join(folder, 'backups'))).find((f) => f.endsWith('.lock'));
    return lock === undefined ? undefined : fs.readFile(join(folder, 'backups', lock), 'utf8').catch(() => undefined);
  };

  const partialIn = async () => (await files(dir)).find((f) => f.endsWith('.partial'));

  it('kill -9 between creating the lock file and writing its owner: the empty lock is taken over 10 s later and the run succeeds', async function () {
    // The gap is one turn of the event loop: slices of a millisecond catch it most tries.
    for (let attempt = 0; attempt < 20; attempt++) {
      const child = start(folder);
      let hit = false;
      await killWhen(
        child,
        async () => {
          const text = await lockText();
          hit = text === '';
          return text !== undefined;
        },
        1,
      );
      if (hit) {
        await afterKill('kill -9 between creating the lock file and writing its owner (empty lock)', { partialSeen: false });
        return;
      }
      // Killed just after the owner went in: a run later takes that lock over at once.
      const again = await lifeboat(folder);
      assert.equal(again.code, 0, again.stderr);
      await noteOlder();
    }
    this.skip();
  });

  it('kill -9 before pg_dump starts (lock taken, no partial yet): nothing left but the lock; the next run succeeds', async () => {
    const child = start(folder);
    const lock = (await files(join(folder, 'backups'))).find((f) => f.endsWith('.lock'));
    assert.equal(lock, undefined, 'no lock before the run');
    await killWhen(
      child,
      async () => (await lockText()) !== '' && (await lockText()) !== undefined && !(await partialIn()) && (await pgDumps()).length === 0,
      2,
    );
    await afterKill('kill -9 before pg_dump starts (lock taken, no partial file yet)', { partialSeen: false });
  });

  it('kill -9 while pg_dump streams: the partial is left, pg_dump ends, the next run removes the partial and succeeds', async () => {
    const child = start(folder);
    const gone = exited(child);
    let size = 0;
    for (let i = 0; i < 600 && size < 2 * 1024 * 1024; i++) {
      await sleep(20);
      const p = await partialIn();
      size = p ? (await fs.stat(join(dir, p)).catch(() => ({ size: 0 }))).size : 0;
    }
    assert.ok(size >= 2 * 1024 * 1024, `the partial grew to ${size} bytes only`);
    assert.ok((await pgDumps()).length > 0, 'pg_dump is running when the kill comes');
    child.kill('SIGKILL');
    assert.equal(await gone, 'SIGKILL');
    await afterKill('kill -9 while pg_dump streams (partial over 2 MB)', { partialSeen: true });
  });

  it('kill -9 after the data but before the rename: the partial is left, no final file; the next run removes it and succeeds', async () => {
    // The end of the dump is a few milliseconds wide: a small database keeps the slicing short.
    await run('docker', ['exec', NAME, 'psql', '-X', '-q', '-U', 'lb', '-d', 'lbdb', '-c', 'DELETE FROM events WHERE id > 5000']);
    const child = start(folder);
    await killWhen(
      child,
      async () => {
        const p = await partialIn();
        if (!p) return false;
        // pg_dump gone from the container with the partial still there: all of its output has
        // been written out by pg_dump, and the command line has not renamed the file yet.
        return (
          (await fs.stat(join(dir, p))).size > 0 &&
          (await pgDumps()).length === 0 &&
          !(await exists(join(dir, p.slice(1, -'.partial'.length))))
        );
      },
      3,
    );
    await afterKill('kill -9 after pg_dump finished, before the rename', { partialSeen: true });
  });
});
