import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { dropScratchDatabases } from '../../src/core/database';
import { REPO, ScratchDb, collectingLogger, dataFingerprint, databases, docker, psql, run, scratchPostgres, tempDir } from './harness';

/**
 * Scratch databases left by killed dry runs and full verifies (`_restore_`, `_verify_`) are
 * offered for dropping: `lifeboat status` prints the command, the extension drops them after a
 * modal. Only those go: never the live database, a pre-restore or a failed restore's copy, or
 * a database of another name. A scratch PostgreSQL of the test's own.
 */
const CLI = join(REPO, 'dist', 'cli.js');
const SIDES = [
  'lbdb_restore_20260101_000000',
  'lbdb_verify_20260101_000001',
  'lbdb_pre_restore_20260101_000002',
  'lbdb_failed_restore_20260101_000003',
  'other_restore_20260101_000004',
];

describe('dropping the scratch databases interrupted dry runs left (a scratch container)', function () {
  this.timeout(180_000);
  let db: ScratchDb;
  let folder: string;

  before(async () => {
    db = await scratchPostgres('lifeboat-it-scratchdrop', 55477, 256 * 1024);
    for (const d of SIDES) await psql(db.container, 'lb', 'postgres', `CREATE DATABASE ${d}`);
    folder = await tempDir('scratchdrop');
    await fs.mkdir(join(folder, '.vscode'));
    await fs.writeFile(join(folder, '.vscode', 'settings.json'), JSON.stringify({ 'lifeboat.database.container': db.container }));
  });

  after(async () => {
    await db?.remove();
    if (folder) await fs.rm(folder, { recursive: true, force: true });
  });

  const target = () => ({ container: docker.getContainer(db.container), user: 'lb', database: 'lbdb' });

  it('`lifeboat status` names the scratch databases and prints a command that drops exactly those', async () => {
    const status = await new Promise<{ code: number; stdout: string }>((resolve) =>
      execFile(process.execPath, [CLI, 'status', '--folder', folder], (err, stdout) =>
        resolve({ code: err ? Number((err as { code?: number }).code ?? -1) : 0, stdout }),
      ),
    );
    const line = status.stdout.split('\n').find((l) => l.includes('Scratch databases:')) ?? '';
    assert.match(
      line,
      /"lbdb_verify_20260101_000001" and "lbdb_restore_20260101_000000"|"lbdb_restore_20260101_000000" and "lbdb_verify_20260101_000001"/,
    );
    assert.doesNotMatch(line, /pre_restore|failed_restore|other_restore/);
    assert.match(status.stdout, /2 scratch databases left by interrupted dry runs/);
    assert.equal(status.code, 1, 'status needs attention');
    const command = line.split('Drop them with: ')[1];
    assert.ok(command?.startsWith(`docker exec ${db.container} psql -U lb -d postgres -c 'DROP DATABASE "lbdb_`), line);
    // The printed command, run as a user would paste it into a shell.
    const live = await dataFingerprint(db.container, 'lb', 'lbdb');
    await run('bash', ['-c', command]);
    const left = await databases(db.container, 'lb');
    assert.deepEqual(
      SIDES.filter((d) => !left.includes(d)),
      ['lbdb_restore_20260101_000000', 'lbdb_verify_20260101_000001'],
    );
    assert.equal(await dataFingerprint(db.container, 'lb', 'lbdb'), live);
    for (const d of ['lbdb_restore_20260101_000000', 'lbdb_verify_20260101_000001'])
      await psql(db.container, 'lb', 'postgres', `CREATE DATABASE ${d}`);
  });

  it('dropScratchDatabases drops only scratch copies of the live database, whatever names it is given', async () => {
    const dir = await tempDir('scratchdrop-lock');
    const live = await dataFingerprint(db.container, 'lb', 'lbdb');
    const log = collectingLogger();
    const dropped = await dropScratchDatabases(target(), 'lbdb', ['lbdb', ...SIDES, 'postgres'], {
      backupDir: dir,
      lockName: 'lifeboat-it-scratchdrop',
      logger: log,
    });
    const left = await databases(db.container, 'lb');
    assert.deepEqual(dropped.sort(), ['lbdb_restore_20260101_000000', 'lbdb_verify_20260101_000001']);
    for (const d of [
      'lbdb',
      'lbdb_pre_restore_20260101_000002',
      'lbdb_failed_restore_20260101_000003',
      'other_restore_20260101_000004',
      'postgres',
    ])
      assert.ok(left.includes(d), `${d} kept: ${left.join(', ')}`);
    assert.ok(!left.includes('lbdb_restore_20260101_000000') && !left.includes('lbdb_verify_20260101_000001'));
    assert.equal(await dataFingerprint(db.container, 'lb', 'lbdb'), live, 'the live database unchanged');
    assert.deepEqual(await fs.readdir(dir), [], 'the lock released');
    await fs.rm(dir, { recursive: true, force: true });
  });
});
