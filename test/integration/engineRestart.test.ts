import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { backupDatabase } from '../../src/core/database';
import { connectDocker, selectEngine } from '../../src/core/docker';
import { Stack, discoverStack } from '../../src/core/stack';
import { snapshotVolume } from '../../src/core/volume';
import { verifyBackup } from '../../src/core/verify';
import { recordFault, shown } from './faultMatrix';
import { startComposeDatabase } from './composeDatabase';
import { snapshotFiles, tempDir, untilAnswers, untilPartialGrows } from './harness';
import { startSecondEngine, type SecondEngine } from './secondEngine';

/**
 * The Docker engine stopped (as a restart of it does first) while a database backup streams and
 * while a volume snapshot copies. A second, private dockerd (never the shared one) runs a small
 * PostgreSQL with Compose labels; the test stops that dockerd mid-operation, waits for the
 * operation's error, then starts the engine again and looks at what is left.
 */
const PROJECT = 'lbrestart';
const DB = `${PROJECT}-db`;
const VOL = `${PROJECT}_data`;
const PORT = 55443;

describe('the Docker engine stopped mid-backup and mid-snapshot (a second, private dockerd)', function () {
  this.timeout(300_000);
  let dir: string;
  let backups: string;
  let engine: SecondEngine;
  let docker: Docker;
  let stack: Stack;
  let sql: (q: string) => Promise<string>;
  const dbRunning = async () => (await engine.cli(['inspect', '-f', '{{.State.Running}}', DB])).trim() === 'true';
  const fingerprint = () => sql("SELECT count(*) || ':' || md5(string_agg(body, ',' ORDER BY id)) FROM notes");

  before(async () => {
    dir = await tempDir('engine-restart');
    backups = join(dir, 'backups');
    engine = await startSecondEngine(join(dir, 'e'));
    ({ sql } = await startComposeDatabase(engine, {
      project: PROJECT,
      workingDir: join(dir, 'project'),
      password: 'restart_test_pw',
      port: PORT,
      volume: { name: VOL, labelled: true },
    }));
    // Rows that gzip poorly, so a dump and a copy take long enough to be caught in the middle.
    await sql(
      `CREATE TABLE notes (id int PRIMARY KEY, body text);
       INSERT INTO notes SELECT g, (SELECT string_agg(md5(g::text || ':' || i), '') FROM generate_series(1, 8) i) FROM generate_series(1, 150000) g;
       CHECKPOINT;`,
    );
    docker = connectDocker(selectEngine({ setting: `unix://${engine.socket}` }));
    stack = await discoverStack(docker, { dbContainer: DB });
    // Older backups to protect.
    await backupDatabase(docker, stack, { backupDir: backups });
    await snapshotVolume(docker, { volume: VOL, backupDir: backups });
    await untilAnswers(sql, 'PostgreSQL after the first snapshot');
  });

  after(async () => {
    await engine?.stop();
    // Later suites in this process talk to the default engine again.
    connectDocker(selectEngine());
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  /** Stops the engine once the operation's partial file holds a megabyte; its outcome, then the engine is started again. */
  async function haltDuring(op: Promise<unknown>, folder: string): Promise<unknown> {
    const outcome = op.then(
      () => undefined,
      (e: unknown) => e,
    );
    await untilPartialGrows(folder, 1024 * 1024);
    await engine.halt();
    // A hang is a finding too: the engine comes back either way, and the test then fails.
    const settled = await Promise.race([
      outcome.then((e) => ({ e })),
      new Promise<undefined>((r) => setTimeout(() => r(undefined), 60_000)),
    ]);
    await engine.resume();
    assert.ok(settled, 'the operation did not end within 60 s of the engine stopping');
    return settled.e;
  }

  const stable = (t: string) =>
    t
      .split(engine.socket)
      .join('<socket>')
      .split(backups)
      .join('<backups>')
      .replace(/\d{8}_\d{6}/g, 'YYYYMMDD_HHMMSS');

  it('a database backup while the engine stops: a clear error naming the engine, no partial or final file, older backups untouched', async () => {
    const before = await snapshotFiles(backups);
    const data = await fingerprint();
    const err = await haltDuring(backupDatabase(docker, stack, { backupDir: backups }), join(backups, 'database'));
    const after = await snapshotFiles(backups);
    // The engine's restart stopped the container (no restart policy), as a reboot would.
    const down = !(await dbRunning());
    await engine.cli(['start', DB]);
    await untilAnswers(sql, 'PostgreSQL after the engine came back');
    const intact = Object.entries(before).every(([k, v]) => after[k] === v) && (await fingerprint()) === data;
    recordFault({
      operation: 'database backup',
      fault: 'the Docker engine stopped (restarted) while pg_dump streams',
      userSees: stable(shown(err)),
      leftOnDisk: `${
        Object.keys(after).length === Object.keys(before).length
          ? 'nothing new'
          : `new: ${Object.keys(after)
              .filter((k) => !(k in before))
              .join(', ')}`
      }; the older backups unchanged${down ? `; ${DB} stopped by the engine's restart (started by the user)` : ''}`,
      dataLost: !intact,
    });
    assert.ok(err instanceof Error, 'the backup failed');
    assert.match(shown(err), new RegExp(`Cannot reach the Docker engine at .*${engine.socket.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    assert.doesNotMatch(shown(err), /^(Error|TypeError)\b/);
    assert.deepEqual(after, before, 'no partial and no final-named file; older backups as they were');
    assert.ok(intact);
  });

  it('a volume snapshot while the engine stops: a clear error naming the engine and the stopped database with how to start it', async () => {
    const before = await snapshotFiles(backups);
    const data = await fingerprint();
    const err = await haltDuring(snapshotVolume(docker, { volume: VOL, backupDir: backups }), join(backups, 'volumes'));
    const after = await snapshotFiles(backups);
    const running = await dbRunning();
    const text = shown(err);
    // The record of what the snapshot left stopped (read by status, the extension and the next
    // run) is what the run is meant to leave; it is checked below, apart from the backups.
    const recordName = Object.keys(after).find((k) => k.endsWith('.stopped.json'));
    const record = recordName ? (JSON.parse(await fs.readFile(join(backups, recordName), 'utf8')) as { stopped: string[] }) : undefined;
    if (recordName) delete after[recordName];
    // What the message says, once the engine is back.
    if (!running) await engine.cli(['start', DB]);
    await untilAnswers(sql, 'PostgreSQL after the engine came back');
    // Docker may finish an archive it had begun: then the snapshot is whole, and says so.
    const added = Object.keys(after).filter((k) => !(k in before));
    const made = added.find((k) => k.endsWith('.tar.gz'));
    const verified = made ? await verifyBackup(join(backups, made), { depth: 'quick' }) : undefined;
    const intact = Object.entries(before).every(([k, v]) => after[k] === v) && (await fingerprint()) === data;
    recordFault({
      operation: 'volume snapshot',
      fault: 'the Docker engine stopped (restarted) while the snapshot copies, the database container stopped for it',
      userSees: stable(text),
      leftOnDisk: `${made ? `the snapshot, whole (quick verify: ${verified?.ok ? 'OK' : verified?.problem}), and its manifest` : 'nothing new'}; the older snapshots unchanged; ${DB} ${running ? 'running again' : 'stopped until the user starts it as the message says, named in the stopped-containers record'}`,
      dataLost: !intact,
    });
    assert.ok(err instanceof Error, 'the operation reports the failure');
    // Depending on how far dockerd's shutdown had got, the start fails because it is gone
    // (then the message names it) or because it refuses while stopping.
    assert.match(text, /Cannot reach the Docker engine at|could not be started again/);
    if (/Cannot reach the Docker engine/.test(text)) assert.ok(text.includes(engine.socket), text);
    assert.doesNotMatch(text, /^(Error|TypeError)\b/);
    if (made) {
      assert.match(text, /^The snapshot was written, but /);
      assert.equal(verified?.ok, true, `a snapshot written whole verifies: ${verified?.problem}`);
      assert.deepEqual(added.sort(), [made, `${made}.json`]);
    } else assert.deepEqual(after, before, 'no partial and no final-named file; older snapshots as they were');
    if (!running) {
      assert.match(text, new RegExp(`"${DB}" was stopped for the copy and could not be started again`));
      assert.ok(text.includes(`docker start ${DB}`), text);
      assert.deepEqual(record?.stopped, [DB], 'the stopped-containers record names the database for status and the next run');
    } else assert.equal(recordName, undefined, 'no record once the database runs again');
    assert.ok(intact, 'the older snapshots unchanged; the database holds its data once started');
  });
});
