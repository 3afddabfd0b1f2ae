import * as assert from 'node:assert/strict';
import { backupDatabase, restoreDatabase, undoRestore } from '../../src/core/database';
import type { Stack } from '../../src/core/stack';
import { verifyBackup } from '../../src/core/verify';
import { ScratchDb, databases, docker, psql, rowCounts, run, scratchPostgres, tempDir } from './harness';

/**
 * Contract 7 in docs/contracts.md: names from settings or containers reach no shell and are
 * pasted into no SQL. A database whose name holds quotes, a semicolon, spaces and shell
 * substitutions goes through a backup, a full verify, a restore over each transport and a swap
 * back; any name spliced into a shell line or an SQL text breaks one of them, or runs the
 * `touch` this test then looks for.
 */
const HOSTILE = `it's "db"; $(touch /tmp/pwn) \`touch /tmp/pwn\``;

/** An identifier as SQL writes it: only the fixture's own SQL needs this. */
const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

describe('names with quotes, spaces and shell characters (contract 7, a scratch container)', function () {
  this.timeout(240_000);
  let db: ScratchDb;
  let stack: Stack;
  let dir: string;

  before(async () => {
    db = await scratchPostgres('lifeboat-it-names', 55499, 64 * 1024);
    await psql(db.container, 'lb', 'lbdb', `CREATE DATABASE ${ident(HOSTILE)}`);
    await psql(
      db.container,
      'lb',
      HOSTILE,
      `CREATE TABLE ${ident(`it's "t"; $(x)`)} (id int PRIMARY KEY, note text);
       INSERT INTO ${ident(`it's "t"; $(x)`)} SELECT g, 'row ' || g FROM generate_series(1, 300) g;`,
    );
    stack = { ...db.stack, db: { ...db.stack.db, database: HOSTILE }, apps: [] };
    dir = await tempDir('names');
  });

  after(async () => {
    await db?.remove();
  });

  it('backs up, verifies, restores over both transports and swaps back a database with such a name', async () => {
    const counts = await rowCounts(db.container, 'lb', HOSTILE);
    assert.deepEqual(Object.values(counts), [300]);

    const made = await backupDatabase(docker, stack, { backupDir: dir });
    assert.equal(made.manifest.source.database, HOSTILE);
    assert.deepEqual(made.manifest.tables, counts);

    const verified = await verifyBackup(made.path, { depth: 'full', docker, stack });
    assert.equal(verified.ok, true, verified.problem);

    let preRestore = '';
    for (const transport of ['direct', 'exec'] as const) {
      await psql(db.container, 'lb', HOSTILE, `DELETE FROM ${ident(`it's "t"; $(x)`)} WHERE id > 100`);
      const r = await restoreDatabase(docker, stack, {
        file: made.path,
        backupDir: dir,
        transport,
        confirm: async () => true,
        migration: 'none',
        appServices: [],
      });
      assert.equal(r.status, 'restored', transport);
      if (r.status !== 'restored') return;
      // Cut to PostgreSQL's 63 bytes, so the kept copy's name ends wherever the cut falls.
      assert.equal(r.preRestore, `${HOSTILE.slice(0, 63 - '_pre_restore_YYYYMMDD_HHMMSS'.length)}${r.preRestore.slice(-28)}`);
      assert.match(r.preRestore, /_pre_restore_\d{8}_\d{6}$/);
      assert.ok((await databases(db.container, 'lb')).includes(r.preRestore), r.preRestore);
      assert.deepEqual(await rowCounts(db.container, 'lb', HOSTILE), counts, transport);
      preRestore = r.preRestore;
      // Both restores may fall within one second; the next one must not meet this copy's name.
      await new Promise((resolve) => setTimeout(resolve, 1100));
    }

    // Swap Back: the copy the last restore kept (100 rows) is live again, the restored one set aside.
    await undoRestore(docker, stack, preRestore, { backupDir: dir, appServices: [] });
    assert.deepEqual(Object.values(await rowCounts(db.container, 'lb', HOSTILE)), [100]);
    assert.ok((await databases(db.container, 'lb')).includes(HOSTILE));

    // Nothing reached a shell: neither substitution ran in the container.
    await run('docker', ['exec', db.container, 'test', '!', '-e', '/tmp/pwn']);
  });
});
