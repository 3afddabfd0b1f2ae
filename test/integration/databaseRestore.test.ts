import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { backupDatabase, DryRunSummary, RestoreOptions, restoreDatabase, undoRestore } from '../../src/core/database';
import type { Stack } from '../../src/core/stack';
import { CancelledError, LifeboatError } from '../../src/core/common';
import { recordFault, shown } from './faultMatrix';
import {
  ScratchDb,
  collectingLogger,
  dataFingerprint,
  databases,
  demoStack,
  docker,
  psql,
  rowCounts,
  run,
  scratchPostgres,
  tempDir,
  waitHealthy,
} from './harness';

const HEALTH = { url: 'http://127.0.0.1:8000/health', expect: { status: 'healthy', database: 'connected' }, timeoutMs: 60_000 };
const yes = async () => true;

async function running(name: string): Promise<boolean> {
  return !!(await docker.getContainer(name).inspect()).State.Running;
}

/** Side databases a restore may leave: none may remain after a failed or declined one, except failed_restore copies. */
async function sideDatabases(container: string, user: string, db: string): Promise<string[]> {
  return (await databases(container, user)).filter((d) => d !== db && d.startsWith(`${db}_`));
}

async function dropSideDatabases(container: string, user: string, db: string): Promise<void> {
  for (const d of await sideDatabases(container, user, db)) await psql(container, user, 'postgres', `DROP DATABASE "${d}" WITH (FORCE)`);
}

describe('database restore on the demo stack (sms-db, sms-web with Alembic and /health)', function () {
  this.timeout(300_000);
  let stack: Stack;
  let dir: string;
  let backup: string;
  let backupCounts: Record<string, number>;
  const fp = () => dataFingerprint('sms-db', 'sms_user', 'sms_db');

  before(async () => {
    stack = await demoStack();
    await dropSideDatabases('sms-db', 'sms_user', 'sms_db');
    dir = await tempDir('restore');
    backup = (await backupDatabase(docker, stack, { backupDir: dir })).path;
    backupCounts = await rowCounts('sms-db', 'sms_user', 'sms_db');
  });

  afterEach(async () => {
    // Contract 5 in docs/contracts.md for every test: the app runs again and is healthy.
    assert.equal(await running('sms-web'), true, 'sms-web left stopped');
    await waitHealthy('sms-db');
  });

  after(async () => {
    await dropSideDatabases('sms-db', 'sms_user', 'sms_db');
  });

  it('restores aside, proves, swaps, migrates, checks health, and keeps the old database', async () => {
    await psql(
      'sms-db',
      'sms_user',
      'sms_db',
      `INSERT INTO audit_log (action, entity, details) VALUES ('after-backup', 'test', '{"note": "added after the backup"}')`,
    );
    const changedCounts = await rowCounts('sms-db', 'sms_user', 'sms_db');
    // What an unclean stop does to the statistics (seen on a cold CI machine): the summary must not say 0 rows.
    await psql('sms-db', 'sms_user', 'sms_db', 'SELECT pg_stat_reset()');
    assert.equal(changedCounts['public.audit_log'], backupCounts['public.audit_log'] + 1);
    let asked: DryRunSummary | undefined;
    const phases: string[] = [];
    const result = await restoreDatabase(docker, stack, {
      file: backup,
      backupDir: dir,
      confirm: async (s) => {
        asked = s;
        // The live database is still untouched while the user decides.
        assert.deepEqual(await rowCounts('sms-db', 'sms_user', 'sms_db'), changedCounts);
        return true;
      },
      migration: 'auto',
      health: HEALTH,
      progress: (p) => phases.push(p.phase),
      logger: collectingLogger(),
    });
    assert.equal(result.status, 'restored');
    assert.ok(asked);
    // The stack's server is reachable from here: the dry run must not have fallen back to psql.
    assert.match(asked.loadedVia ?? '', /^a direct connection to 127\.0\.0\.1:55432$/);
    assert.deepEqual(asked.tables, backupCounts);
    // Small tables are counted exactly, whatever state the statistics are in.
    assert.deepEqual(asked.liveTables, changedCounts);
    assert.deepEqual(await rowCounts('sms-db', 'sms_user', 'sms_db'), backupCounts);
    assert.ok(result.status === 'restored' && result.migration?.exitCode === 0);
    assert.ok(result.status === 'restored' && result.health?.status === 200);
    const pre = result.status === 'restored' ? result.preRestore : '';
    assert.match(pre, /^sms_db_pre_restore_\d{8}_\d{6}$/);
    assert.deepEqual(await rowCounts('sms-db', 'sms_user', pre), changedCounts);
    assert.deepEqual(await sideDatabases('sms-db', 'sms_user', 'sms_db'), [pre]);
    for (const p of ['Checking the backup', 'Comparing row counts', 'Health check']) {
      assert.ok(
        phases.some((x) => x.startsWith(p)),
        `phase ${p} in ${phases.join(' / ')}`,
      );
    }

    // Undo: the pre-restore copy is live again, the restored one kept aside.
    const undo = await undoRestore(docker, stack, pre, { backupDir: dir, health: HEALTH });
    assert.deepEqual(await rowCounts('sms-db', 'sms_user', 'sms_db'), changedCounts);
    assert.deepEqual(await rowCounts('sms-db', 'sms_user', undo.aside), backupCounts);
    await dropSideDatabases('sms-db', 'sms_user', 'sms_db');
  });

  describe('bad input leaves the live database unchanged', () => {
    let fixtures: string;
    let sql: string;
    before(async () => {
      fixtures = await tempDir('restore-bad');
      sql = gunzipSync(await fs.readFile(backup)).toString('utf8');
    });
    // One failed test must not fail the next through the copies it left behind.
    beforeEach(() => dropSideDatabases('sms-db', 'sms_user', 'sms_db'));

    let title = '';
    beforeEach(function () {
      title = this.currentTest?.title ?? '';
    });

    async function expectUntouched(opts: Partial<RestoreOptions> & { file: string }, message: RegExp): Promise<LifeboatError> {
      const before = await fp();
      let caught: unknown;
      try {
        await restoreDatabase(docker, stack, { backupDir: dir, confirm: yes, migration: 'auto', health: HEALTH, ...opts });
      } catch (err) {
        caught = err;
      }
      const unchanged = (await fp()) === before;
      const sides = (await sideDatabases('sms-db', 'sms_user', 'sms_db')).filter((d) => !d.includes('failed_restore'));
      recordFault({
        operation: 'database restore',
        fault: title,
        userSees: shown(caught),
        leftOnDisk: `live database ${unchanged ? 'unchanged' : 'CHANGED'}; ${sides.length ? `side databases: ${sides.join(', ')}` : 'no scratch database left'}`,
        dataLost: !unchanged,
      });
      assert.ok(caught instanceof LifeboatError, `expected a LifeboatError, got ${caught}`);
      assert.match(caught.message, message);
      assert.ok(unchanged, 'the live database changed');
      return caught;
    }

    async function fixture(name: string, content: Buffer): Promise<string> {
      const p = join(fixtures, name);
      await fs.writeFile(p, content);
      return p;
    }

    it('a truncated .gz', async () => {
      const whole = await fs.readFile(backup);
      await expectUntouched(
        { file: await fixture('cut_backup_20260101_000000.sql.gz', whole.subarray(0, Math.floor(whole.length / 2))) },
        /truncated/,
      );
      assert.deepEqual(await sideDatabases('sms-db', 'sms_user', 'sms_db'), []);
    });

    it('a file that is not gzip', async () => {
      await expectUntouched({ file: await fixture('plain_backup_20260101_000000.sql.gz', Buffer.from(sql)) }, /not a gzip file/);
    });

    it('gzip of something that is not a dump', async () => {
      await expectUntouched(
        { file: await fixture('text_backup_20260101_000000.sql.gz', gzipSync('hello\nworld\n')) },
        /not a pg_dump SQL script/,
      );
    });

    it('a dump with an SQL error in the middle: nothing of it is kept', async () => {
      const at = sql.indexOf('COPY public.students');
      const broken = `${sql.slice(0, at)}SELECT no_such_function();\n${sql.slice(at)}`;
      const err = await expectUntouched(
        { file: await fixture('err_backup_20260101_000000.sql.gz', gzipSync(broken)) },
        /does not restore cleanly.*no_such_function/,
      );
      assert.match(err.hint ?? '', /live database was not touched/);
      assert.deepEqual(await sideDatabases('sms-db', 'sms_user', 'sms_db'), []);
    });

    it('through psql in the container (no direct connection): an SQL error in the middle, nothing kept', async () => {
      const at = sql.indexOf('COPY public.students');
      const broken = `${sql.slice(0, at)}SELECT no_such_function();\n${sql.slice(at)}`;
      const err = await expectUntouched(
        { file: await fixture('err_exec_backup_20260101_000000.sql.gz', gzipSync(broken)), transport: 'exec' },
        /does not restore cleanly \(psql exit code 3\).*no_such_function/,
      );
      assert.match(err.hint ?? '', /live database was not touched/);
      assert.deepEqual(await sideDatabases('sms-db', 'sms_user', 'sms_db'), []);
    });

    it('through psql in the container: the dry run proves the same row counts as the direct connection', async () => {
      const summaries: DryRunSummary[] = [];
      for (const transport of ['exec', 'direct'] as const) {
        const r = await restoreDatabase(docker, stack, {
          file: backup,
          backupDir: dir,
          transport,
          confirm: async (s) => (summaries.push(s), false),
        });
        assert.equal(r.status, 'declined');
      }
      assert.equal(summaries[0].loadedVia, 'psql in the container');
      assert.match(summaries[1].loadedVia ?? '', /direct connection/);
      assert.deepEqual(summaries[0].tables, backupCounts);
      assert.deepEqual(summaries[1].tables, backupCounts);
      assert.deepEqual(await sideDatabases('sms-db', 'sms_user', 'sms_db'), []);
    });

    it('a script only psql can run (standard_conforming_strings off) goes through psql and restores', async () => {
      const odd = sql.replace(
        /SET standard_conforming_strings = on;/,
        "SET standard_conforming_strings = off;\nSELECT 'a\\'';\nSET standard_conforming_strings = on;",
      );
      assert.notEqual(odd, sql);
      const before = await fp();
      let asked: DryRunSummary | undefined;
      const r = await restoreDatabase(docker, stack, {
        file: await fixture('scs_backup_20260101_000000.sql.gz', gzipSync(odd)),
        backupDir: dir,
        confirm: async (s) => ((asked = s), false),
      });
      assert.equal(r.status, 'declined');
      assert.equal(asked?.loadedVia, 'psql in the container');
      assert.deepEqual(asked?.tables, backupCounts);
      assert.equal(await fp(), before);
      assert.deepEqual(await sideDatabases('sms-db', 'sms_user', 'sms_db'), []);
    });

    it('a COPY row that does not fit its table: the server stops the COPY, nothing of it is kept', async () => {
      const at = sql.indexOf('\n', sql.indexOf('COPY public.students')) + 1;
      const broken = `${sql.slice(0, at)}not\ta\trow\n${sql.slice(at)}`;
      const err = await expectUntouched(
        { file: await fixture('row_backup_20260101_000000.sql.gz', gzipSync(broken)) },
        /does not restore cleanly \(server error 22P02\).*invalid input syntax/,
      );
      assert.match(err.detail ?? '', /CONTEXT:  COPY students, line 1/);
      assert.deepEqual(await sideDatabases('sms-db', 'sms_user', 'sms_db'), []);
    });

    for (const transport of ['direct', 'exec'] as const) {
      it(`rows a trigger in the dump drops on the way: the row counts differ, nothing is kept (${transport === 'direct' ? 'direct connection' : 'psql in the container'})`, async () => {
        // A table nothing references, so the constraints after the data still load and only the count comparison can tell.
        const referenced = new Set([...sql.matchAll(/REFERENCES (\S+)\(/g)].map((m) => m[1]));
        const table = Object.keys(backupCounts).find((t) => backupCounts[t] > 0 && !referenced.has(t) && sql.includes(`COPY ${t} (`));
        assert.ok(table, 'the demo dump has a table with rows that no foreign key references');
        const at = sql.indexOf(`COPY ${table} (`);
        const trigger = [
          'CREATE FUNCTION public.lifeboat_test_drop_rows() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NULL; END$$;',
          `CREATE TRIGGER lifeboat_test_drop_rows BEFORE INSERT ON ${table} FOR EACH ROW EXECUTE FUNCTION public.lifeboat_test_drop_rows();`,
          '',
        ].join('\n');
        const file = await fixture(
          `trigger_${transport}_backup_20260101_000000.sql.gz`,
          gzipSync(`${sql.slice(0, at)}${trigger}${sql.slice(at)}`),
        );
        // Declining keeps the live database whatever happens should the comparison ever let this through.
        const err = await expectUntouched(
          { file, transport, confirm: async () => false },
          new RegExp(`does not match the backup: ${table.replace('.', '\\.')}: ${backupCounts[table]} in the dump, 0 restored`),
        );
        assert.match(err.hint ?? '', /live database was not touched/);
        assert.deepEqual(await sideDatabases('sms-db', 'sms_user', 'sms_db'), []);
      });
    }

    it("a dump cut off inside a table's rows, in an intact gzip (what `pg_dump | gzip` keeps when pg_dump dies)", async () => {
      const at = sql.indexOf('\n', sql.indexOf('\n', sql.indexOf('COPY public.students')) + 1) + 1;
      const err = await expectUntouched(
        { file: await fixture('cutrows_backup_20260101_000000.sql.gz', gzipSync(sql.slice(0, at))) },
        /incomplete dump: it ends inside the rows of a COPY/,
      );
      assert.match(err.hint ?? '', /live database was not touched/);
      assert.deepEqual(await sideDatabases('sms-db', 'sms_user', 'sms_db'), []);
    });

    it('a dump that needs a role the server lacks', async () => {
      const withRole = sql.replace(/(ALTER TABLE public\.students OWNER TO )[^;]+;/, '$1ghost_role;');
      assert.notEqual(withRole, sql);
      const err = await expectUntouched({ file: await fixture('role_backup_20260101_000000.sql.gz', gzipSync(withRole)) }, /ghost_role/);
      assert.match(err.hint ?? '', /CREATE ROLE "ghost_role"/);
    });

    it('a dump from a newer PostgreSQL major version', async () => {
      const newer = sql.replace(/-- Dumped by pg_dump version [^\n]+/, '-- Dumped by pg_dump version 99.1');
      await expectUntouched(
        { file: await fixture('new_backup_20260101_000000.sql.gz', gzipSync(newer)) },
        /pg_dump 99\.1, newer than the server/,
      );
    });

    it('a file changed after its manifest was written', async () => {
      const copy = join(fixtures, 'sms_backup_20260101_000001.sql.gz');
      await fs.copyFile(backup, copy);
      await fs.copyFile(`${backup}.json`, `${copy}.json`);
      const bytes = await fs.readFile(copy);
      bytes[bytes.length - 12] ^= 0xff; // inside the gzip trailer's CRC: still "whole", different bytes
      await fs.writeFile(copy, bytes);
      await expectUntouched({ file: copy }, /does not match its manifest|corrupt|truncated/);
    });

    it('a migration that fails: swapped back by itself, restored copy kept for inspection', async () => {
      const err = await expectUntouched(
        { file: backup, migration: ['alembic', 'upgrade', 'no_such_revision'] },
        /migration failed.*previous database is live again/s,
      );
      assert.match(err.message, /kept as "sms_db_failed_restore_\d{8}_\d{6}"/);
      const side = await sideDatabases('sms-db', 'sms_user', 'sms_db');
      assert.equal(side.filter((d) => d.includes('_failed_restore_')).length, 1);
      assert.equal(side.filter((d) => d.includes('_restore_') && !d.includes('failed')).length, 0);
      await dropSideDatabases('sms-db', 'sms_user', 'sms_db');
    });

    it('a health check that times out: swapped back', async () => {
      await expectUntouched(
        { file: backup, health: { url: HEALTH.url, expect: { status: 'never-this' }, timeoutMs: 3000 } },
        /health check failed.*previous database is live again/s,
      );
      await dropSideDatabases('sms-db', 'sms_user', 'sms_db');
    });

    it('the user declines (types the wrong name): nothing changes, the scratch copy is dropped', async () => {
      const before = await fp();
      const r = await restoreDatabase(docker, stack, { file: backup, backupDir: dir, confirm: async () => false });
      assert.equal(r.status, 'declined');
      assert.equal(await fp(), before);
      assert.deepEqual(await sideDatabases('sms-db', 'sms_user', 'sms_db'), []);
    });

    it('a pg_dump -Fc custom-format archive restores through pg_restore (runbook-style, no manifest)', async () => {
      const file = join(fixtures, 'sms_backup_20260105_000000.dump');
      await run('bash', ['-o', 'pipefail', '-c', 'docker exec sms-db pg_dump -Fc -U sms_user -d sms_db > "$1"', 'dump', file]);
      const counts = await rowCounts('sms-db', 'sms_user', 'sms_db');
      await psql('sms-db', 'sms_user', 'sms_db', 'DELETE FROM enrollments WHERE id % 3 = 0');
      const r = await restoreDatabase(docker, stack, { file, backupDir: dir, confirm: yes, migration: 'auto', health: HEALTH });
      assert.equal(r.status, 'restored');
      assert.deepEqual(await rowCounts('sms-db', 'sms_user', 'sms_db'), counts);
      assert.ok(r.summary.check.notes.some((n) => /custom-format archive without a manifest/.test(n)));
      await dropSideDatabases('sms-db', 'sms_user', 'sms_db');
    });

    it('a truncated custom-format archive is refused, the live database unchanged', async () => {
      const whole = join(fixtures, 'sms_backup_20260105_000000.dump');
      const bytes = await fs.readFile(whole);
      const cut = await fixture('sms_backup_20260106_000000.dump', bytes.subarray(0, Math.floor(bytes.length * 0.7)));
      await expectUntouched({ file: cut }, /pg_restore|does not restore cleanly/);
      assert.deepEqual(await sideDatabases('sms-db', 'sms_user', 'sms_db'), []);
    });

    for (const phase of ['Checking the backup', 'Dry run', 'Comparing row counts', 'confirm', 'Health check']) {
      it(`a cancel during "${phase}"`, async () => {
        const before = await fp();
        const ac = new AbortController();
        const err = await restoreDatabase(docker, stack, {
          file: backup,
          backupDir: dir,
          signal: ac.signal,
          migration: 'auto',
          health: HEALTH,
          confirm: async () => {
            if (phase === 'confirm') ac.abort();
            return true;
          },
          progress: (p) => {
            if (p.phase.startsWith(phase)) ac.abort();
          },
        }).then(
          () => undefined,
          (e: Error) => e,
        );
        assert.ok(err, 'the restore did not stop');
        const unchanged = (await fp()) === before;
        recordFault({
          operation: 'database restore',
          fault: `cancel during "${phase}"`,
          userSees: shown(err),
          leftOnDisk: `live database ${unchanged ? 'unchanged' : 'CHANGED'}`,
          dataLost: !unchanged,
        });
        if (phase === 'Health check') {
          assert.match(err.message, /cancelled after the swap.*previous database is live again/s);
        } else {
          assert.ok(err instanceof CancelledError, String(err));
        }
        assert.equal(await fp(), before);
        assert.deepEqual(
          (await sideDatabases('sms-db', 'sms_user', 'sms_db')).filter((d) => !d.includes('failed_restore')),
          [],
        );
        await dropSideDatabases('sms-db', 'sms_user', 'sms_db');
      });
    }

    it('a cancel as psql in the container starts loading the scratch copy', async () => {
      const before = await fp();
      const ac = new AbortController();
      let loading = false;
      const err = await restoreDatabase(docker, stack, {
        file: backup,
        backupDir: dir,
        transport: 'exec',
        signal: ac.signal,
        confirm: async () => true,
        progress: (p) => {
          // Said as psql in the container is started, before the first byte is sent to it.
          if (p.phase.startsWith('Dry run') && !loading) {
            loading = true;
            ac.abort();
          }
        },
      }).then(
        () => undefined,
        (e: Error) => e,
      );
      assert.ok(loading, 'the load was reached');
      assert.ok(err instanceof CancelledError, String(err));
      const unchanged = (await fp()) === before;
      recordFault({
        operation: 'database restore',
        fault: 'cancel as psql in the container starts loading the scratch copy',
        userSees: shown(err),
        leftOnDisk: `live database ${unchanged ? 'unchanged' : 'CHANGED'}`,
        dataLost: !unchanged,
      });
      assert.equal(await fp(), before);
      assert.deepEqual(
        (await sideDatabases('sms-db', 'sms_user', 'sms_db')).filter((d) => !d.includes('failed_restore')),
        [],
        'the scratch copy was dropped',
      );
    });
  });
});

describe('database restore when the server goes away (a scratch container)', function () {
  this.timeout(240_000);
  let db: ScratchDb;
  let dir: string;
  let backup: string;

  before(async () => {
    db = await scratchPostgres('lifeboat-it-restore', 55493, 40 * 1024 * 1024);
    dir = await tempDir('restore-stop');
    backup = (await backupDatabase(docker, db.stack, { backupDir: dir })).path;
  });

  after(async () => {
    await db?.remove();
  });

  it('the database container stopped during the dry run: an error, the live database unchanged', async () => {
    const before = await dataFingerprint(db.container, 'lb', 'lbdb');
    let stopped = false;
    const err = await restoreDatabase(docker, db.stack, {
      file: backup,
      backupDir: dir,
      confirm: yes,
      progress: (p) => {
        if (!stopped && p.phase.startsWith('Dry run') && (p.bytes ?? 0) > 2 * 1024 * 1024) {
          stopped = true;
          void run('docker', ['kill', db.container]);
        }
      },
    }).then(
      () => undefined,
      (e: Error) => e,
    );
    assert.ok(stopped, 'the container was stopped mid-restore');
    assert.ok(err instanceof Error, 'the restore failed');
    await run('docker', ['start', db.container]);
    await waitHealthy(db.container);
    assert.equal(await dataFingerprint(db.container, 'lb', 'lbdb'), before);
  });
});
