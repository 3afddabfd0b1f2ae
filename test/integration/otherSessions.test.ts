import * as assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import { backupDatabase, DryRunSummary, restoreDatabase } from '../../src/core/database';
import { otherSessions, PgConnection, psql as lifeboatPsql } from '../../src/core/postgres';
import { ScratchDb, docker, psql, scratchPostgres, tempDir } from './harness';

const PORT = 55486;

/** Waits until the server shows the session as `state`: psql reads its stdin asynchronously. */
async function waitForState(container: string, app: string, state: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while ((await psql(container, 'lb', 'postgres', `SELECT state FROM pg_stat_activity WHERE application_name = '${app}'`)) !== state) {
    if (Date.now() > deadline) throw new Error(`${app} never became ${state}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('other sessions a swap would disconnect (issue 14.9, a scratch container)', function () {
  this.timeout(180_000);
  let db: ScratchDb;
  let dir: string;
  let backup: string;
  let developer: ChildProcess | undefined;
  let worker: PgConnection | undefined;

  before(async () => {
    db = await scratchPostgres('lifeboat-it-sessions', PORT, 256 * 1024);
    dir = await tempDir('sessions');
    backup = (await backupDatabase(docker, db.stack, { backupDir: dir })).path;
  });

  beforeEach(async () => {
    // A developer's psql in the container, half-way through a transaction.
    developer = spawn('docker', ['exec', '-i', '-e', 'PGAPPNAME=dev-psql', db.container, 'psql', '-X', '-q', '-U', 'lb', '-d', 'lbdb'], {
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    developer.stdin?.write("BEGIN;\nINSERT INTO notes (body) VALUES ('not committed yet');\n");
    // A worker outside Compose, connected over TCP and idle.
    worker = await PgConnection.connect({
      host: '127.0.0.1',
      port: PORT,
      user: 'lb',
      database: 'lbdb',
      password: 'lb-test-only',
      applicationName: 'idle-worker',
    });
    await waitForState(db.container, 'dev-psql', 'idle in transaction');
  });

  afterEach(() => {
    developer?.stdin?.end();
    developer?.kill();
    worker?.destroy();
  });

  after(async () => {
    await db?.remove();
  });

  it("the dry run summary lists them, the transaction first; Lifeboat's own sessions are not listed", async () => {
    let asked: DryRunSummary | undefined;
    const result = await restoreDatabase(docker, db.stack, {
      file: backup,
      backupDir: dir,
      appServices: [],
      confirm: async (s) => {
        asked = s;
        return false;
      },
    });
    assert.equal(result.status, 'declined');
    const listed = asked?.otherSessions;
    assert.ok(listed, 'the summary carries the other sessions');
    assert.deepEqual(
      listed.map((s) => [s.application, s.user, s.client ?? 'socket', s.state, s.inTransaction, s.database]),
      [
        ['dev-psql', 'lb', 'socket', 'idle in transaction', true, 'lbdb'],
        ['idle-worker', 'lb', '127.0.0.1', 'idle', false, 'lbdb'],
      ],
    );
    const [dev, idle] = listed;
    assert.ok(dev.transactionSince && Math.abs(dev.transactionSince.getTime() - Date.now()) < 120_000, 'the transaction start is known');
    assert.ok(idle.stateSince && idle.connectedSince, 'since when the worker is idle and connected');
  });

  it('a psql() of Lifeboat running on the live database at the same time is not another client', async () => {
    const target = { container: docker.getContainer(db.container), user: 'lb', database: 'lbdb' };
    const busy = lifeboatPsql(target, 'SELECT pg_sleep(3);');
    await waitForState(db.container, 'lifeboat', 'active');
    const names = (await otherSessions(target, ['lbdb'])).map((s) => s.application);
    await busy;
    assert.deepEqual(names, ['dev-psql', 'idle-worker']);
  });

  it('Swap Back asks about both names: a session on the copy is listed with its database', async () => {
    await psql(db.container, 'lb', 'lbdb', 'CREATE DATABASE lbdb_pre_restore_20260101_000000');
    const onCopy = await PgConnection.connect({
      host: '127.0.0.1',
      port: PORT,
      user: 'lb',
      database: 'lbdb_pre_restore_20260101_000000',
      password: 'lb-test-only',
      applicationName: 'inspector',
    });
    try {
      const target = { container: docker.getContainer(db.container), user: 'lb', database: 'lbdb' };
      const listed = await otherSessions(target, ['lbdb', 'lbdb_pre_restore_20260101_000000']);
      assert.deepEqual(
        listed.map((s) => [s.application, s.database]),
        [
          ['dev-psql', 'lbdb'],
          ['idle-worker', 'lbdb'],
          ['inspector', 'lbdb_pre_restore_20260101_000000'],
        ],
      );
    } finally {
      onCopy.destroy();
    }
  });

  it('what the modal promised happens: the swap disconnects them and the open transaction is not kept', async () => {
    const closed = new Promise<void>((resolve) => worker?.whenClosed(() => resolve()));
    const result = await restoreDatabase(docker, db.stack, { file: backup, backupDir: dir, appServices: [], confirm: async () => true });
    assert.equal(result.status, 'restored');
    await closed;
    assert.equal(await psql(db.container, 'lb', 'lbdb', "SELECT count(*) FROM notes WHERE body = 'not committed yet'"), '0');
    assert.equal(
      await psql(db.container, 'lb', 'postgres', "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'dev-psql'"),
      '0',
    );
  });
});
