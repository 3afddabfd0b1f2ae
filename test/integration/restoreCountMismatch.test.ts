import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { backupDatabase, restoreDatabase } from '../../src/core/database';
import type { Stack } from '../../src/core/stack';
import { LifeboatError } from '../../src/core/common';
import { dataFingerprint, databases, demoStack, docker, tempDir } from './harness';

describe('database restore: a manifest whose row counts the file does not hold (issue 13)', function () {
  this.timeout(180_000);
  let stack: Stack;
  let dir: string;

  before(async () => {
    stack = await demoStack();
    dir = await tempDir('restore-count-mismatch');
  });
  after(() => fs.rm(dir, { recursive: true, force: true }));

  it('the dry run refuses before asking, naming each table that differs; the live database is untouched and the scratch copy dropped', async () => {
    const backup = (await backupDatabase(docker, stack, { backupDir: dir })).path;
    const m = JSON.parse(await fs.readFile(`${backup}.json`, 'utf8'));
    const [table, rows] = Object.entries(m.tables as Record<string, number>)[0];
    m.tables[table] = rows + 1;
    m.tables['public.cov2_ghost'] = 5;
    await fs.writeFile(`${backup}.json`, JSON.stringify(m));
    const before = await dataFingerprint('sms-db', 'sms_user', 'sms_db');
    const dbsBefore = await databases('sms-db', 'sms_user');
    let asked = false;
    await assert.rejects(
      restoreDatabase(docker, stack, { file: backup, backupDir: dir, confirm: async () => ((asked = true), true) }),
      (err: unknown) => {
        assert.ok(err instanceof LifeboatError);
        assert.equal(
          err.message,
          `The restored copy does not match the backup: ${table}: ${(rows + 1).toLocaleString('en-US')} recorded at backup time, ${rows.toLocaleString('en-US')} in the file; public.cov2_ghost: 5 recorded at backup time, missing in the file.`,
        );
        assert.equal(err.hint, 'The live database was not touched. Use another backup.');
        return true;
      },
    );
    assert.equal(asked, false, 'the user is not asked to confirm a restore that cannot be proven');
    assert.equal(await dataFingerprint('sms-db', 'sms_user', 'sms_db'), before);
    assert.deepEqual(await databases('sms-db', 'sms_user'), dbsBefore);
  });
});
