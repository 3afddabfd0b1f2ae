import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { backupDatabase } from '../../src/core/database';
import { connectDocker } from '../../src/core/docker';
import { CancelledError, DockerUnavailableError, LifeboatError, LockedError } from '../../src/core/common';
import { cliHint } from '../../src/cli/cliHint';
import { uiHint } from '../../src/extension/uiHint';
import { recordFault, shown } from './faultMatrix';
import { readManifest } from '../../src/core/store';
import type { Stack } from '../../src/core/stack';
import {
  ScratchDb,
  collectingLogger,
  demoStack,
  docker,
  psql,
  rowCounts,
  run,
  scratchPostgres,
  snapshotFiles,
  tempDir,
  waitHealthy,
} from './harness';

async function sha256(path: string): Promise<string> {
  return createHash('sha256')
    .update(await fs.readFile(path))
    .digest('hex');
}

async function filesIn(dir: string): Promise<string[]> {
  return (await fs.readdir(dir).catch(() => [] as string[])).sort();
}

/** Restores a .sql.gz the runbook's way (gunzip -c | psql) into a new database; returns its row counts. */
async function restoreWithPsql(file: string, container: string, user: string, db: string): Promise<Record<string, number>> {
  await psql(container, user, 'postgres', `DROP DATABASE IF EXISTS ${db}`);
  await psql(container, user, 'postgres', `CREATE DATABASE ${db}`);
  await run('bash', [
    '-o',
    'pipefail',
    '-c',
    'gunzip -c "$1" | docker exec -i "$2" psql -X -q -v ON_ERROR_STOP=1 -1 -U "$3" -d "$4" >/dev/null',
    'restore',
    file,
    container,
    user,
    db,
  ]);
  try {
    return await rowCounts(container, user, db);
  } finally {
    await psql(container, user, 'postgres', `DROP DATABASE IF EXISTS ${db}`);
  }
}

describe('database backup against the demo stack', function () {
  this.timeout(180_000);
  let stack: Stack;
  let dir: string;

  before(async () => {
    stack = await demoStack();
    dir = await tempDir('backup');
  });

  it('writes a checked, private .sql.gz that psql restores with the same rows', async () => {
    const log = collectingLogger();
    const phases: string[] = [];
    const result = await backupDatabase(docker, stack, { backupDir: dir, logger: log, progress: (p) => phases.push(p.phase) });

    assert.match(result.path, /\/database\/sms_backup_\d{8}_\d{6}\.sql\.gz$/);
    assert.equal((await fs.stat(dir)).mode & 0o777, 0o700);
    assert.equal((await fs.stat(join(dir, 'database'))).mode & 0o777, 0o700);
    assert.equal((await fs.stat(result.path)).mode & 0o777, 0o600);
    assert.deepEqual(await filesIn(join(dir, 'database')), [result.path.split('/').pop(), `${result.path.split('/').pop()}.json`]);
    assert.ok(phases.length > 0);

    const { manifest } = await readManifest(result.path);
    assert.ok(manifest);
    assert.equal(manifest.kind, 'database');
    assert.equal(manifest.file.sha256, await sha256(result.path));
    assert.equal(manifest.file.bytes, (await fs.stat(result.path)).size);
    assert.equal(manifest.source.container, 'sms-db');
    assert.equal(manifest.source.database, 'sms_db');
    assert.match(manifest.source.serverVersion ?? '', /^\d+\.\d+/);
    assert.match(manifest.source.pgDumpVersion ?? '', /^\d+\.\d+/);

    const live = await rowCounts('sms-db', 'sms_user', 'sms_db');
    assert.ok(Object.keys(live).length >= 4, `demo data has several tables: ${JSON.stringify(live)}`);
    assert.deepEqual(manifest.tables, live);
    const head = await psql('sms-db', 'sms_user', 'sms_db', 'SELECT version_num FROM alembic_version');
    assert.deepEqual(manifest.alembicHead, [head]);

    const restored = await restoreWithPsql(result.path, 'sms-db', 'sms_user', 'lifeboat_it_restore');
    assert.deepEqual(restored, live);
  });

  it('refuses a second backup of the same stack while one runs (contract 11)', async () => {
    const first = backupDatabase(docker, stack, { backupDir: dir });
    const second = backupDatabase(docker, stack, { backupDir: dir });
    const [a, b] = await Promise.allSettled([first, second]);
    const outcomes = [a.status, b.status].sort();
    assert.deepEqual(outcomes, ['fulfilled', 'rejected']);
    const rejected = (a.status === 'rejected' ? a : b) as PromiseRejectedResult;
    assert.ok(rejected.reason instanceof LockedError, String(rejected.reason));
    assert.match(rejected.reason.message, /has been backing up "sms" since \d{2}:\d{2}\.$/);
    assert.deepEqual(
      (await filesIn(dir)).filter((n) => n.endsWith('.lock')),
      [],
      'lock released',
    );
  });

  it('names a wrong database or user, and keeps nothing', async () => {
    const before = await snapshotFiles(dir);
    for (const [override, pattern, hint] of [
      [{ database: 'no_such_db' }, /database "no_such_db" does not exist/, /lifeboat\.database\.name/],
      [{ user: 'no_such_user' }, /role "no_such_user" does not exist/, /lifeboat\.database\.user/],
    ] as const) {
      const wrong: Stack = { ...stack, db: { ...stack.db, ...override } };
      await assert.rejects(backupDatabase(docker, wrong, { backupDir: dir }), (err: LifeboatError) => {
        assert.ok(err instanceof LifeboatError);
        assert.match(err.message, /pg_dump failed \(exit code 1\)/);
        assert.match(err.message, pattern);
        assert.match(err.hint ?? '', hint);
        return true;
      });
    }
    assert.deepEqual(await snapshotFiles(dir), before);
  });

  it('says how to start Docker when the engine is unreachable', async () => {
    const saved = process.env.DOCKER_HOST;
    process.env.DOCKER_HOST = 'unix:///tmp/lifeboat-no-such-docker.sock';
    try {
      const down = connectDocker();
      const before = await snapshotFiles(dir);
      await assert.rejects(backupDatabase(down, stack, { backupDir: dir }), (err: Error) => {
        assert.ok(err instanceof DockerUnavailableError, String(err));
        assert.match(err.message, /lifeboat-no-such-docker\.sock/);
        assert.match(err.message, /from DOCKER_HOST/);
        assert.match((err as DockerUnavailableError).hint ?? '', /Start that engine, or change or unset DOCKER_HOST/);
        return true;
      });
      assert.deepEqual(await snapshotFiles(dir), before);
    } finally {
      if (saved === undefined) delete process.env.DOCKER_HOST;
      else process.env.DOCKER_HOST = saved;
      connectDocker(); // so later errors in this process name the working engine
    }
  });

  it('explains a database container that is gone', async () => {
    const gone: Stack = { ...stack, db: { ...stack.db, id: 'lifeboat-no-such-container', name: 'sms-db-gone' } };
    await assert.rejects(backupDatabase(docker, gone, { backupDir: dir }), /"sms-db-gone" no longer exists/);
  });

  it('refuses a backup folder it cannot create, naming the path', async () => {
    const file = join(dir, 'not-a-folder');
    await fs.writeFile(file, 'x');
    await assert.rejects(backupDatabase(docker, stack, { backupDir: join(file, 'backups') }), (err: LifeboatError) => {
      assert.match(err.message, /not-a-folder/);
      assert.match(err.hint ?? '', /lifeboat\.backupDirectory/);
      return true;
    });
  });
});

describe('database backup under faults (a scratch PostgreSQL container)', function () {
  this.timeout(240_000);
  let db: ScratchDb;
  let dir: string;
  let oldBackup: string;
  let oldSha: string;

  before(async () => {
    db = await scratchPostgres('lifeboat-it-faults', 55491, 60 * 1024 * 1024);
    dir = await tempDir('faults');
    oldBackup = (await backupDatabase(docker, db.stack, { backupDir: dir })).path;
    oldSha = await sha256(oldBackup);
  });

  after(async () => {
    await db?.remove();
  });

  afterEach(async () => {
    // Whatever a test did, the older backup is intact and nothing partial is left.
    assert.equal(await sha256(oldBackup), oldSha);
    const names = await filesIn(join(dir, 'database'));
    assert.deepEqual(
      names.filter((n) => n.includes('partial') || n.endsWith('.tmp')),
      [],
    );
    const info = await docker.getContainer(db.container).inspect();
    if (!info.State.Running) {
      await run('docker', ['start', db.container]);
      await waitHealthy(db.container);
    }
  });

  /** Starts a backup and runs `fault` once `atBytes` of SQL have streamed. */
  async function backupWithFault(atBytes: number, fault: (ac: AbortController) => Promise<void>, backupDir = dir) {
    const ac = new AbortController();
    let fired = false;
    let faultDone: Promise<void> = Promise.resolve();
    const started = Date.now();
    const outcome = await backupDatabase(docker, db.stack, {
      backupDir,
      signal: ac.signal,
      progress: (p) => {
        if (!fired && (p.bytes ?? 0) >= atBytes) {
          fired = true;
          faultDone = fault(ac);
        }
      },
    }).then(
      (r) => ({ ok: true as const, r }),
      (e: Error) => ({ ok: false as const, e }),
    );
    await faultDone;
    assert.ok(fired, 'the fault fired during the dump');
    return { outcome, ms: Date.now() - started };
  }

  /** Records what a fault left: the older backup must still be there, byte for byte. */
  async function record(fault: string, err: unknown, folder = join(dir, 'database')): Promise<void> {
    const left = await filesIn(folder);
    const intact = (await sha256(oldBackup).catch(() => '')) === oldSha;
    recordFault({ operation: 'database backup', fault, userSees: shown(err), leftOnDisk: left.join(', ') || 'nothing', dataLost: !intact });
  }

  async function pgDumpProcesses(): Promise<string[]> {
    const { stdout } = await run('docker', ['top', db.container, '-eo', 'pid,args']);
    return stdout.split('\n').filter((l) => /pg_dump/.test(l));
  }

  it('a cancel stops pg_dump within 2 seconds and leaves no file and no process', async () => {
    let cancelledAt = 0;
    const { outcome } = await backupWithFault(4 * 1024 * 1024, async (ac) => {
      cancelledAt = Date.now();
      ac.abort();
    });
    assert.equal(outcome.ok, false);
    await record('cancel while pg_dump streams', !outcome.ok && outcome.e);
    assert.ok(!outcome.ok && outcome.e instanceof CancelledError, String(!outcome.ok && outcome.e));
    const stoppedIn = Date.now() - cancelledAt;
    assert.ok(stoppedIn < 2000, `cancel took ${stoppedIn} ms`);
    assert.deepEqual(await pgDumpProcesses(), []);
    const sessions = await psql(
      db.container,
      'lb',
      'lbdb',
      "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'lifeboat_%'",
    );
    assert.equal(sessions, '0');
    assert.deepEqual(await filesIn(join(dir, 'database')), [oldBackup.split('/').pop(), `${oldBackup.split('/').pop()}.json`]);
  });

  it('pg_dump killed mid-dump: an error with its cause, nothing kept', async () => {
    const { outcome } = await backupWithFault(4 * 1024 * 1024, async () => {
      const { stdout } = await run('docker', ['top', db.container, '-eo', 'pid,args']);
      const line = stdout.split('\n').find((l) => /\bpg_dump\b/.test(l));
      assert.ok(line, `pg_dump in docker top: ${stdout}`);
      process.kill(Number(line.trim().split(/\s+/)[0]), 'SIGKILL');
    });
    assert.equal(outcome.ok, false);
    const err = !outcome.ok ? outcome.e : undefined;
    await record('pg_dump killed (SIGKILL) mid-dump', err);
    assert.ok(err instanceof LifeboatError, String(err));
    assert.match(err.message, /pg_dump failed \(exit code 137\)|end marker/);
  });

  it('the database container stopped mid-dump: says so, nothing kept', async () => {
    const { outcome } = await backupWithFault(4 * 1024 * 1024, async () => {
      await run('docker', ['kill', db.container]);
    });
    assert.equal(outcome.ok, false);
    const err = !outcome.ok ? outcome.e : undefined;
    await record('database container killed mid-dump', err);
    assert.ok(err instanceof LifeboatError, String(err));
    assert.match(err.message, /"lifeboat-it-faults" stopped during the dump|is not running/);
  });

  it('a pg_dump that exits 0 without its end marker: refused, nothing kept', async () => {
    // Fixture (docker CLI, as root in the container): the pg_dump on the exec's PATH becomes a
    // script that keeps the first 100 kB of the real one's output and exits 0, so only the end
    // marker check can tell.
    const setUp = [
      'set -e',
      'found=$(command -v pg_dump)',
      'real=$(ls /usr/lib/postgresql/*/bin/pg_dump | head -n 1)',
      'mv "$found" "$found.lifeboat-test"',
      'if [ "$found" = "$real" ]; then real="$found.lifeboat-test"; fi',
      'printf \'#!/bin/sh\\n"%s" "$@" | head -c 100000\\nexit 0\\n\' "$real" > "$found"',
      'chmod 755 "$found"',
    ].join('\n');
    const tearDown = 'found=$(command -v pg_dump) && mv -f "$found.lifeboat-test" "$found"';
    await run('docker', ['exec', '-u', 'root', db.container, 'sh', '-c', setUp]);
    let err: unknown;
    try {
      err = await backupDatabase(docker, db.stack, { backupDir: dir }).then(
        () => undefined,
        (e: unknown) => e,
      );
    } finally {
      await run('docker', ['exec', '-u', 'root', db.container, 'sh', '-c', tearDown]);
    }
    assert.ok(err instanceof LifeboatError, String(err));
    assert.match(err.message, /pg_dump exited without writing its end marker/);
  });

  it('a stopped database container is refused before anything is written', async () => {
    await run('docker', ['stop', db.container]);
    await record(
      'database container stopped before the backup',
      await backupDatabase(docker, db.stack, { backupDir: dir }).then(
        () => undefined,
        (e: unknown) => e,
      ),
    );
    await assert.rejects(backupDatabase(docker, db.stack, { backupDir: dir }), (err: LifeboatError) => {
      assert.match(err.message, /"lifeboat-it-faults" is not running \(exited\)/);
      assert.match(err.hint ?? '', /docker compose up -d/);
      return true;
    });
  });

  describe('on small file systems (needs root to mount tmpfs)', () => {
    let mnt: string;
    /** One backup attempt into `folder`, recorded: the files there before must be there after, unchanged. */
    async function recordSmall(fault: string, folder: string, before: Record<string, string>): Promise<void> {
      const err = await backupDatabase(docker, db.stack, { backupDir: folder }).then(
        () => undefined,
        (e: unknown) => e,
      );
      const after = await snapshotFiles(folder);
      const lost = Object.entries(before).some(([k, v]) => after[k] !== v);
      recordFault({
        operation: 'database backup',
        fault,
        userSees: shown(err),
        leftOnDisk: Object.keys(after).join(', ') || 'nothing',
        dataLost: lost,
      });
    }
    before(async function () {
      if (process.getuid?.() !== 0) this.skip();
      mnt = await tempDir('tmpfs');
    });
    afterEach(async () => {
      await run('umount', [mnt]).catch(() => undefined);
    });

    it('a full disk: ENOSPC named, partial removed, older backups untouched', async () => {
      await run('mount', ['-t', 'tmpfs', '-o', 'size=3m', 'tmpfs', mnt]);
      await fs.mkdir(join(mnt, 'database'), { recursive: true });
      const older = join(mnt, 'database', 'lb_backup_20260101_020000.sql.gz');
      await fs.writeFile(older, Buffer.alloc(64 * 1024, 1));
      const before = await snapshotFiles(mnt);
      await recordSmall('a full disk during the dump (3 MB tmpfs)', mnt, before);
      await assert.rejects(backupDatabase(docker, db.stack, { backupDir: mnt }), (err: LifeboatError) => {
        assert.match(err.message, /is full \(ENOSPC\)/);
        assert.match(err.hint ?? '', /Older backups were not touched/);
        return true;
      });
      assert.deepEqual(await snapshotFiles(mnt), before);
    });

    it('storage full: refuses to start when the previous backup would not fit, writing nothing', async () => {
      await run('mount', ['-t', 'tmpfs', '-o', 'size=3m', 'tmpfs', mnt]);
      await fs.mkdir(join(mnt, 'database'), { recursive: true });
      // A previous backup of 2.5 MB leaves about 0.5 MB free: the next one cannot fit.
      const older = join(mnt, 'database', `${db.stack.project || db.stack.db.name}_backup_20260101_020000.sql.gz`);
      await fs.writeFile(older, Buffer.alloc(2.5 * 1024 * 1024, 1));
      const before = await snapshotFiles(mnt);
      await recordSmall("storage too full for the previous backup's size", mnt, before);
      await assert.rejects(backupDatabase(docker, db.stack, { backupDir: mnt }), (err: LifeboatError) => {
        assert.match(
          err.message,
          /Not enough free space for a new database backup.*previous one \(".*_backup_20260101_020000\.sql\.gz"\) took 2\.5 MB/,
        );
        assert.match(err.hint ?? '', /Nothing was written.*See what retention can delete/);
        // The command is the extension's to name (uiHint), not core's: the command line prints this too.
        assert.equal(err.ui, 'preview-cleanup');
        assert.match(uiHint(err) ?? '', /Nothing was written.*Clean Up Old Backups/);
        assert.match(cliHint(err) ?? '', /lifeboat prune --dry-run/);
        return true;
      });
      assert.deepEqual(await snapshotFiles(mnt), before);
    });

    it('a read-only folder: not writable, says which setting to change', async () => {
      await run('mount', ['-t', 'tmpfs', '-o', 'size=1m,ro', 'tmpfs', mnt]);
      await recordSmall('a read-only backup folder', mnt, await snapshotFiles(mnt));
      await assert.rejects(backupDatabase(docker, db.stack, { backupDir: mnt }), (err: LifeboatError) => {
        assert.match(err.message, /not writable \(EROFS\)/);
        assert.match(err.hint ?? '', /lifeboat\.backupDirectory/);
        return true;
      });
    });
  });
});
